import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type Reply, startOpenAIServer } from "../../src/testing/openai-server.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { buildScenario } from "./scenario.js";

const jsonl = (path: string) => readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));

/** The stage a statement request is about: the first line of the developers' text in the prompt. */
function titleOf(body: unknown): string {
  const user = (body as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === "user")!.content;
  return /What the developers wrote:\n<<<\n(.*)\n/.exec(user)![1]!;
}

test("--endpoint: a model writes each stage's statement through the client (retries, cache), its leaks are filtered, an unusable one rejects the stage", async () => {
  const { repo } = buildScenario();
  let failedOnce = false;
  const server = await startOpenAIServer((request): Reply => {
    const title = titleOf(request.body);
    if (!failedOnce) {
      failedOnce = true;
      return { type: "error", status: 503, message: "warming up" };
    }
    if (title.startsWith("Fix negative numbers")) {
      return { type: "answer", content: "Adding two negative numbers gives a misleading label.\nconst label = a < 0 || b < 0 ? 'signed sum' : 'checked sum';\nThe label must say the sum is signed." };
    }
    if (title.startsWith("Add tests for subtract")) return { type: "answer", content: "```\n```" };
    return { type: "answer", content: `Task: ${title.toLowerCase()}, as the maintainers asked.` };
  });
  try {
    const work = tempDir();
    const out = join(work, "out");
    const args = (dir: string) => ["mine", repo.dir, "-o", dir, "-q", "--endpoint", server.url, "--model", "writer", "--cache", join(work, "cache")];
    const run = await runCli(args(out));
    assert.equal(run.code, 0, run.stderr);
    const requests = server.requests.length;
    const first = server.requests[1]!.body as { model: string; temperature: number; seed: number; messages: { role: string; content: string }[] };
    assert.deepEqual([first.model, first.temperature, first.seed], ["writer", 0, 0]);
    assert.match(first.messages[0]!.content, /Never reveal the solution/);
    assert.match(first.messages[1]!.content, /The change \(for your understanding only, never to be quoted\):\n<<<\ndiff --git/);

    const stages = jsonl(join(out, "stages.jsonl"));
    assert.ok(stages.every((s) => s.statement_source === "llm"));
    const four = stages.find((s) => s.pull_number === 4);
    assert.equal(four.problem_statement, "Adding two negative numbers gives a misleading label.\nThe label must say the sum is signed.", "the line of the gold patch is filtered out");
    assert.equal(four.instruction_redacted_lines, 1);
    assert.equal(stages.find((s) => s.pull_number === 1).problem_statement, "Task: add add function, as the maintainers asked.");
    assert.ok(!stages.some((s) => s.pull_number === 8), "an empty statement is never emitted");
    const rejects = jsonl(join(out, "rejects.jsonl"));
    assert.deepEqual(
      rejects.map((r) => [r.kind, r.pr, r.reason]),
      [["stage", 8, "the model's statement is unusable after the leak filter: it is empty"]],
    );
    assert.match(run.stderr, /statements\s+by the model\s+6/);
    assert.ok(jsonl(join(out, "chains.jsonl")).every((c) => c.stages.every((s: { pr: number }) => s.pr !== 8)), "chains are rebuilt without the rejected stage");

    const again = join(work, "again");
    assert.equal((await runCli(args(again))).code, 0);
    assert.equal(server.requests.length, requests, "the second run is answered from the cache");
    for (const name of ["stages.jsonl", "chains.jsonl", "rejects.jsonl"]) assert.equal(readFileSync(join(again, name), "utf8"), readFileSync(join(out, name), "utf8"), name);
  } finally {
    await server.close();
  }
});

test("--endpoint: a dead endpoint rejects every stage with the client's reason and the run exits 1 with one line", async () => {
  const { repo } = buildScenario();
  const server = await startOpenAIServer(() => ({ type: "error", status: 400, message: "model not found" }));
  try {
    const out = join(tempDir(), "out");
    const run = await runCli(["mine", repo.dir, "-o", out, "-q", "--endpoint", server.url, "--model", "nope", "--no-cache"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr.split("\n").at(-2)!, /^acc: no stage could be written: all \d+ stage candidates were rejected \(rejects.jsonl says why\); most were rejected because the model could not write its problem statement: .*400/);
    const rejects = jsonl(join(out, "rejects.jsonl"));
    assert.ok(rejects.length > 0 && rejects.every((r) => /the model could not write its problem statement/.test(r.reason)));
  } finally {
    await server.close();
  }
  const usage = await runCli(["mine", repo.dir, "-o", join(tempDir(), "o"), "--endpoint", "http://127.0.0.1:9/v1"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--endpoint and --model go together/);
});
