import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { freePort, REDIS_MISSING } from "../helpers/redis.js";
import { acc, atEnd, type Proc, redis, status, until } from "./processes.js";
import { itemOf, itemSample, jsonLines, OUTPUTS, readOutputs, teacherReply, writeSamples } from "../teach/helpers.js";

const TEACH = ["--model", "teacher", "--candidates", "4", "--no-cache", "-q"];

function worker(queue: string, endpoint: string, key: string, extra: string[] = []): Proc {
  return acc(["worker", "teach", "--queue", queue, "--endpoint", endpoint, ...TEACH, "--api-key-env", "TEACHER_KEY", "--lock", "1", "--concurrency", "4", ...extra], { TEACHER_KEY: key });
}

async function localRun(input: string, out: string): Promise<string[]> {
  const server = await startOpenAIServer(teacherReply);
  try {
    const result = await runCli(["teach", input, "--endpoint", server.url, "-o", out, ...TEACH]);
    assert.equal(result.code, 0, result.stderr);
    return readOutputs(out);
  } finally {
    await server.close();
  }
}

test("teach through the queue: producer and 2 workers, one killed -9 mid-job, Redis restarted mid-run: outputs byte-identical to a local run", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 40 }, (_, i) => itemSample(i + 1)), ["not json"]);
  const expected = await localRun(input, join(dir, "local"));

  const queue = await redis();
  const workers: { victim?: Proc } = {};
  let killedAt = -1;
  let restart: Promise<void> | undefined;
  // Worker b's answers wait until worker a has asked once (or 20 s): b, up first, could otherwise take
  // and finish all 40 jobs before a has started, and a would never be killed mid-job.
  let aAsked: () => void = () => {};
  const aUp = new Promise<void>((resolve) => (aAsked = resolve));
  const server = await startOpenAIServer(async (request, index) => {
    if (request.headers.authorization === "Bearer key-a") aAsked();
    else await Promise.race([aUp, new Promise((resolve) => setTimeout(resolve, 20_000).unref())]);
    // worker a dies with a request of its job in flight: that job must come back, once
    if (killedAt < 0 && index >= 10 && request.headers.authorization === "Bearer key-a") {
      killedAt = index;
      workers.victim!.child.kill("SIGKILL");
      return { type: "hang" };
    }
    if (!restart && index >= 50) restart = queue.restart();
    return teacherReply(request);
  });
  atEnd(() => server.close());
  const producer = acc(["teach", input, "--queue", queue.url, "-o", join(dir, "queued"), "--concurrency", "16", ...TEACH]);
  const victim = (workers.victim = worker(queue.url, server.url, "key-a"));
  const survivor = worker(queue.url, server.url, "key-b");

  const produced = await producer.exited;
  assert.equal(produced.code, 0, produced.stderr);
  assert.ok(killedAt >= 0, "worker a was killed mid-job");
  assert.ok(restart, "Redis was restarted mid-run");
  assert.equal((await victim.exited).code, null);
  assert.deepEqual(readOutputs(join(dir, "queued")), expected, `${OUTPUTS.join(", ")} byte-identical`);
  // each worker called with its own key; the producer called nobody
  const keys = new Set(server.requests.map((r) => r.headers.authorization));
  assert.deepEqual([...keys].sort(), ["Bearer key-a", "Bearer key-b"]);
  // the producer let go of every job once its checkpoint held the result
  const left = await status(queue.url);
  assert.deepEqual([left.waiting, left.retrying, left.active, left.failed], [0, 0, 0, 0]);
  assert.ok(left.done! >= 40, `${left.done} jobs done`);
  survivor.child.kill("SIGTERM");
  await survivor.exited;
});

test("teach through the queue: a record that kills its worker every time is rejected after --attempts deliveries; the rest is taught", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 6 }, (_, i) => itemSample(i + 1)));
  const queue = await redis();
  let current: Proc | undefined;
  let deliveries = 0;
  const start = () => (current = worker(queue.url, server.url, "key", ["--concurrency", "1"]));
  const server = await startOpenAIServer((request) => {
    if (itemOf(request).item !== 3) return teacherReply(request);
    // item 3 crashes whichever worker takes it; another is started in its place
    deliveries++;
    current!.child.kill("SIGKILL");
    start();
    return { type: "hang" };
  });
  atEnd(() => server.close());
  const producer = acc(["teach", input, "--queue", queue.url, "-o", join(dir, "out"), "--attempts", "2", ...TEACH]);
  start();
  const produced = await producer.exited;
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(deliveries, 2, "item 3 was delivered --attempts times, no more");
  const outcomes = jsonLines<{ file?: string; line: number; sample_id: string; outcome: string; reason: string; detail: string }>(readFileSync(join(dir, "out", "outcomes.jsonl"), "utf8"));
  assert.equal(outcomes.length, 6);
  const poisoned = outcomes.find((o) => o.sample_id === "sample-0003")!;
  assert.deepEqual([poisoned.file, poisoned.line, poisoned.outcome, poisoned.reason], [input, 3, "rejected", "job-failed"]);
  assert.match(poisoned.detail, /stopped mid-job 2 times/);
  assert.deepEqual(
    outcomes.filter((o) => o !== poisoned).map((o) => o.outcome),
    Array(5).fill("kept"),
  );
  current!.child.kill("SIGTERM");
  await current!.exited;
});

test("teach through the queue: re-enqueueing is idempotent, acc status counts the jobs, a worker with other settings refuses and stops", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 5 }, (_, i) => itemSample(i + 1)));
  const expected = await localRun(input, join(dir, "local"));
  const queue = await redis();
  const server = await startOpenAIServer(teacherReply);
  atEnd(() => server.close());
  const out = join(dir, "queued");
  const produce = () => acc(["teach", input, "--queue", queue.url, "-o", out, ...TEACH]);

  // no worker yet: the jobs wait; a producer killed and started again adds none twice
  const first = produce();
  await until(async () => (await status(queue.url)).waiting === 5, "5 waiting jobs");
  first.child.kill("SIGKILL");
  await first.exited;
  const producer = produce();
  await until(() => producer.child.exitCode === null && server.requests.length === 0, "the second producer");
  const waiting = await status(queue.url);
  assert.deepEqual([waiting.waiting, waiting.active, waiting.done, waiting.failed, waiting.workers], [5, 0, 0, 0, 0]);
  assert.equal(waiting.eta_seconds, null);

  const refused = await worker(queue.url, server.url, "key", ["--candidates", "2"]).exited;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^acc: job teach-\S+ \(teach\) was enqueued with other settings than this worker's \(setup: job \{.*"candidates":4.*\}, worker \{.*"candidates":2.*\}\); start the worker with the producer's settings flags/m);
  assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  assert.equal(server.requests.length, 0, "the refusing worker asked nothing");
  assert.equal((await status(queue.url)).waiting, 5, "the refused job is back in the queue");

  const drained = await worker(queue.url, server.url, "key", ["--drain"]).exited;
  const produced = await producer.exited;
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(drained.code, 0, drained.stderr);
  assert.deepEqual(readOutputs(out), expected);
  const done = await status(queue.url);
  assert.deepEqual([done.waiting, done.active, done.done, done.failed, done.eta_seconds], [0, 0, 5, 0, 0]);
  assert.ok(done.rate != null && done.rate > 0, `rate ${done.rate}`);
});

test("--queue: a stopped Redis or a wrong URL is one line, exit 1 or 2", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const input = writeSamples(dir, [itemSample(1)]);
  const port = await freePort();
  const refused = await runCli(["teach", input, "--queue", `redis://127.0.0.1:${port}/0`, "-o", join(dir, "out"), ...TEACH]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `acc: cannot reach the queue at redis://127.0.0.1:${port}/0: connect ECONNREFUSED 127.0.0.1:${port}; start redis-server there, or correct --queue\n`);
  const wrong = await runCli(["status", "--queue", "http://127.0.0.1:6379"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^acc: --queue expects redis:\/\/host:port\/db, got "http:\/\/127.0.0.1:6379" \(the scheme must be redis:, not http:\)/);
  assert.equal(wrong.stderr.split("\n").length, 2);
  const noEndpoint = await runCli(["teach", input, "-o", join(dir, "out2"), ...TEACH]);
  assert.equal(noEndpoint.code, 2);
  assert.match(noEndpoint.stderr, /--endpoint is required/);
});
