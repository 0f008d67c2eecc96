// eval and rollout through the queue: the built acc as producer and workers (separate processes) on one real
// redis-server, against the in-process test server; outputs compared byte for byte with a local run.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import type { Episode } from "../../src/records/rollout.js";
import { type RecordedRequest, startOpenAIServer } from "../../src/testing/openai-server.js";
import type { Reply } from "../../src/testing/replies.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { REDIS_MISSING, type RedisServer } from "../helpers/redis.js";
import { type ChatBody, exampleData, policyServer, runSql, turns } from "../rollout/harness.js";
import { acc, atEnd, type Proc, redis, status, until } from "./processes.js";

let queue: RedisServer;
before(async () => {
  if (!REDIS_MISSING) queue = await redis();
});

const same = (dir: string, other: string, files: string[]) => {
  for (const file of files) assert.ok(readFileSync(join(dir, file)).equals(readFileSync(join(other, file))), `${file} differs from the local run's`);
};

// ---- eval ----

const EVAL_SETTINGS = ["--model", "m", "--no-cache", "-q"];
/** acc eval's arguments on generated MRCR items (3000 tokens, 2 needles). */
const evalArgs = (items: number, seed: number) => ["mrcr", "--data", `generated:sizes=3000,per-size=${items},needles=2,seed=${seed}`, ...EVAL_SETTINGS];
const EVAL_FILES = ["results.jsonl", "summary.json", "report.html"];
const lastContent = (request: RecordedRequest) => (request.body as { messages: { content: string }[] }).messages.at(-1)!.content;
/** A deterministic answer per item, graded as any answer is. */
const evalReply = (request: RecordedRequest): Reply => ({ type: "answer", content: lastContent(request).slice(0, 40) });

function evalWorker(endpoint: string, key: string, extra: string[] = []): Proc {
  return acc(["worker", "eval", "--queue", queue.url, "--endpoint", endpoint, ...EVAL_SETTINGS, "--api-key-env", "KEY", "--lock", "1", "--concurrency", "2", ...extra], { KEY: key });
}

test("eval through the queue: 2 workers, one killed -9 mid-job, Redis restarted mid-run: results, summary and report byte-identical to a local run", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const server = await startOpenAIServer(evalReply);
  atEnd(() => server.close());
  const local = await runCli(["eval", ...evalArgs(12, 5), "--endpoint", server.url, "-o", join(dir, "local")]);
  assert.equal(local.code, 0, local.stderr);

  const workers: { victim?: Proc } = {};
  let killed = false;
  let victimKilled!: () => void;
  const victimGone = new Promise<void>((resolve) => (victimKilled = resolve));
  let restart: Promise<void> | undefined;
  const queued = await startOpenAIServer((request, index) => {
    if (!killed && index >= 3 && request.headers.authorization === "Bearer key-a") {
      killed = true;
      workers.victim!.child.kill("SIGKILL");
      victimKilled();
      return { type: "hang" };
    }
    if (!restart && index >= 6) restart = queue.restart();
    return evalReply(request);
  });
  atEnd(() => queued.close());
  const producer = acc(["eval", ...evalArgs(12, 5), "--queue", queue.url, "-o", join(dir, "queued"), "--concurrency", "6"]);
  workers.victim = evalWorker(queued.url, "key-a");
  // the survivor starts once the victim is killed: started at once, on a loaded machine it could take
  // every job before the victim had started, and nothing would be killed
  await victimGone;
  const survivor = evalWorker(queued.url, "key-b");
  const produced = await producer.exited;
  assert.equal(produced.code, 0, produced.stderr);
  assert.ok(killed && restart, "a worker was killed mid-job and Redis restarted");
  same(join(dir, "local"), join(dir, "queued"), EVAL_FILES);
  assert.deepEqual([...new Set(queued.requests.map((r) => r.headers.authorization))].sort(), ["Bearer key-a", "Bearer key-b"]);
  const left = await status(queue.url);
  assert.deepEqual([left.waiting, left.active, left.retrying], [0, 0, 0], "the producer let go of every job");
  survivor.child.kill("SIGTERM");
  await survivor.exited;
});

test("eval through the queue: a worker with another --max-tokens refuses; an item that kills its worker every time is a failure after --attempts", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  let poisoned: string | undefined;
  let deliveries = 0;
  let current: Proc | undefined;
  const start = () => (current = evalWorker(server.url, "key", ["--concurrency", "1"]));
  const server = await startOpenAIServer((request) => {
    poisoned ??= lastContent(request);
    if (lastContent(request) !== poisoned) return evalReply(request);
    deliveries++;
    current!.child.kill("SIGKILL");
    start();
    return { type: "hang" };
  });
  atEnd(() => server.close());
  const producer = acc(["eval", ...evalArgs(3, 6), "--queue", queue.url, "-o", join(dir, "out"), "--attempts", "2"]);
  const refused = await evalWorker(server.url, "key", ["--max-tokens", "99"]).exited;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^acc: job eval-\S+ \(eval\) was enqueued with other settings than this worker's \(request: job \{\}, worker \{"max_tokens":99\}\); start the worker/m);
  assert.equal(server.requests.length, 0, "the refusing worker asked nothing");
  start();
  const produced = await producer.exited;
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(deliveries, 2, "the poisoned item was delivered --attempts times");
  const failures = readFileSync(join(dir, "out", "failures.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { error: string });
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.error, /^job failed: its worker stopped mid-job 2 times/);
  assert.equal(readFileSync(join(dir, "out", "results.jsonl"), "utf8").trim().split("\n").length, 2);
  current!.child.kill("SIGTERM");
  await current!.exited;
});

test("eval through the queue stops at its first error even while no worker takes the jobs its other slots wait on", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const data = join(dir, "items.jsonl");
  const saved = await runCli(["eval", "mrcr", "--data", "generated:sizes=3000,per-size=2,needles=2,seed=1", "--save-data", data, "-q"]);
  assert.equal(saved.code, 0, saved.stderr);
  // the same file twice: the third item's id repeats the first's, while slots 1 and 2 wait on jobs
  // its own Redis database: the two jobs it leaves for a resumed run must not reach the other tests' workers
  const own = queue.url.replace(/\/0$/, "/7");
  const run = await runCli(["eval", "mrcr", "--data", data, data, "--queue", own, "--model", "m", "-o", join(dir, "out"), "--concurrency", "4", "-q"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^acc: duplicate item id mrcr-gen-s1-2n-3000-0: /);
});

// ---- rollout ----

const SQL_TASKS = join(import.meta.dirname, "../../examples/rollout/sql-tasks.jsonl");
const tasks = readFileSync(SQL_TASKS, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; question: string; gold_sql: string });
const taskOf = (body: ChatBody) => tasks.find((t) => String(body.messages[1]!.content).startsWith(t.question))!;
/** Looks at the tables, then answers with the gold query: the same reply to the same request, whoever sends it. */
const bookshop = (body: ChatBody) => (turns(body) === 0 ? runSql("SELECT name FROM sqlite_schema WHERE type = 'table'", "call_0") : { content: `\`\`\`sql\n${taskOf(body).gold_sql}\n\`\`\`` });
const ROLLOUT = () => ["--env", `sql:${exampleData().db}`, "--model", "policy", "--group-size", "2", "--window", "4096", "--max-tokens", "64", "--max-steps", "4", "-q"];
const ROLLOUT_FILES = ["steps.jsonl", "episodes.jsonl", "rows.jsonl", "rows.parquet", "trajectories.jsonl", "stats.json"];

function rolloutWorker(endpoint: string, key: string, extra: string[] = []): Proc {
  return acc(["worker", "rollout", "--queue", queue.url, "--endpoint", endpoint, ...ROLLOUT(), "--api-key-env", "KEY", "--lock", "1", "--concurrency", "2", ...extra], { KEY: key });
}

test("rollout through the queue: 2 workers running tools in their own environment, one killed -9 mid-group: every file byte-identical to a local run", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  const server = await policyServer(bookshop);
  atEnd(() => server.close());
  const local = await runCli(["rollout", "--tasks", SQL_TASKS, ...ROLLOUT(), "--endpoint", server.url, "-o", join(dir, "local")]);
  assert.equal(local.code, 0, local.stderr);

  const workers: { victim?: Proc } = {};
  let killed = false;
  const queued = await policyServer((body) => bookshop(body));
  atEnd(() => queued.close());
  const producer = acc(["rollout", "--tasks", SQL_TASKS, ...ROLLOUT(), "--queue", queue.url, "-o", join(dir, "queued"), "--concurrency", "4"]);
  workers.victim = rolloutWorker(queued.url, "key-a");
  const survivor = rolloutWorker(queued.url, "key-b");
  // the victim dies once its group has had a tool call answered: the group runs again elsewhere, from the start
  void (async () => {
    while (!killed) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (queued.requests.some((r) => r.headers.authorization === "Bearer key-a" && turns(r.body as ChatBody) > 0)) {
        killed = true;
        workers.victim!.child.kill("SIGKILL");
      }
    }
  })();
  const produced = await producer.exited;
  killed = true;
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal((await workers.victim.exited).signal, "SIGKILL", "a worker was killed mid-run");
  same(join(dir, "local"), join(dir, "queued"), ROLLOUT_FILES);
  survivor.child.kill("SIGTERM");
  await survivor.exited;
});

test("rollout through the queue: a worker without the producer's --unsafe-no-sandbox refuses; a task that kills its worker every time ends as error episodes after --attempts; a task naming a database path is refused", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  // each worker has its own key: sql-books kills whichever worker asks for it, once each
  const delivered = new Set<string>();
  let current: Proc | undefined;
  let started = 0;
  const start = () => (current = rolloutWorker(server.url, `key-${++started}`, ["--concurrency", "2"]));
  const server = await policyServer((body, index) => {
    if (taskOf(body).id !== "sql-books") return bookshop(body);
    const key = server.requests[index]!.headers.authorization!;
    if (key === `Bearer key-${started}` && !delivered.has(key)) {
      delivered.add(key);
      current!.child.kill("SIGKILL");
      start();
    }
    return { type: "hang" };
  });
  atEnd(() => server.close());
  // in another database: the refused jobs stay there
  const other = queue.url.replace(/\/0$/, "/1");
  const unsafe = acc(["rollout", "--tasks", SQL_TASKS, ...ROLLOUT(), "--unsafe-no-sandbox", "--queue", other, "-o", join(dir, "unsafe")]);
  const refused = await acc(["worker", "rollout", "--queue", other, "--endpoint", server.url, ...ROLLOUT()]).exited;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^acc: job rollout-\S+ \(rollout\) was enqueued with other settings than this worker's \(envSettings: job \{.*"unsafe":true\}, worker \{.*"unsafe":false\}\)/m);
  assert.equal(server.requests.length, 0, "the refusing worker ran nothing");
  unsafe.child.kill("SIGKILL");
  await unsafe.exited;

  const producer = acc(["rollout", "--tasks", SQL_TASKS, ...ROLLOUT(), "--queue", queue.url, "-o", join(dir, "out"), "--attempts", "2"]);
  start();
  const produced = await producer.exited;
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal(delivered.size, 2, "sql-books was delivered --attempts times");
  const episodes = readFileSync(join(dir, "out", "episodes.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Episode);
  const poisoned = episodes.filter((e) => e.task_id === "sql-books");
  assert.deepEqual(poisoned.map((e) => [e.stop_reason, e.in_baseline, e.in_loss]), [["error", false, false], ["error", false, false]]);
  assert.match(poisoned[0]!.error!, /^job failed: its worker stopped mid-job 2 times/);
  assert.equal(episodes.filter((e) => e.success).length, (tasks.length - 1) * 2);
  current!.child.kill("SIGTERM");
  await current!.exited;

  const own = join(dir, "own-db.jsonl");
  writeFileSync(own, `${JSON.stringify({ ...tasks[0], db: exampleData().db })}\n`);
  const named = await runCli(["rollout", "--tasks", own, ...ROLLOUT(), "--queue", queue.url, "-o", join(dir, "own")]);
  assert.equal(named.code, 2);
  assert.match(named.stderr, /task "sql-books" names its own database \(db\), which acc worker rollout does not open/);
});

// ---- stopping a worker ----

test("a worker stopped by SIGTERM finishes the jobs it holds and exits 0; a second signal hands them back at once (not after --lock)", { skip: REDIS_MISSING }, async () => {
  const dir = tempDir();
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = true;
  const server = await startOpenAIServer(async (request) => {
    if (held) await released;
    return evalReply(request);
  });
  atEnd(() => server.close());
  const output = (proc: Proc) => {
    let text = "";
    proc.child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    return () => text;
  };

  // finish: both jobs in flight when SIGTERM comes; they are answered after it, and their results reach the producer
  const producer = acc(["eval", ...evalArgs(2, 7), "--queue", queue.url, "-o", join(dir, "finish")]);
  const worker = evalWorker(server.url, "key", ["--lock", "60"]);
  const said = output(worker);
  await until(() => server.requests.length === 2, "2 requests in flight");
  worker.child.kill("SIGTERM");
  await until(() => said().includes("worker: SIGTERM: finishing the jobs it holds"), "the worker's stop line");
  release();
  const finished = await worker.exited;
  assert.equal(finished.code, 0, finished.stderr);
  assert.match(finished.stderr, /^ +2 +0 +0$/m, "2 jobs done, none failed or handed back");
  assert.equal((await producer.exited).code, 0);

  // hand back: SIGTERM twice with a job in flight; the job is waiting again at once, for another worker
  held = true;
  const blocked = new Promise<void>(() => {});
  const hanging = await startOpenAIServer(() => blocked.then(() => ({ type: "hang" })));
  atEnd(() => hanging.close());
  const second = acc(["eval", ...evalArgs(1, 8), "--queue", queue.url, "-o", join(dir, "hand-back")]);
  const stuck = evalWorker(hanging.url, "key", ["--lock", "60"]);
  const stuckSaid = output(stuck);
  await until(() => hanging.requests.length === 1, "the job in flight");
  stuck.child.kill("SIGTERM");
  await until(() => stuckSaid().includes("finishing the jobs"), "the worker's stop line");
  stuck.child.kill("SIGTERM");
  const handed = await stuck.exited;
  assert.equal(handed.code, 143, handed.stderr);
  assert.match(handed.stderr, /worker: 1 jobs handed back to the queue/);
  const waiting = await status(queue.url);
  assert.deepEqual([waiting.waiting, waiting.active], [1, 0], "back in the queue without waiting for its 60 s lock");
  held = false;
  const other = evalWorker(server.url, "key", ["--drain"]);
  assert.equal((await second.exited).code, 0);
  assert.equal((await other.exited).code, 0);
});
