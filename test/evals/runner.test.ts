import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { generateGraphwalks } from "../../src/evals/generate-graphwalks.js";
import { type GraphwalksItem, graphwalksEval } from "../../src/evals/graphwalks.js";
import type { ResultRecord } from "../../src/evals/results.js";
import { EvalDataError } from "../../src/evals/rows.js";
import { EvalUsageError, runEval } from "../../src/evals/runner.js";
import { inProcessCounter, workerCounter } from "../../src/evals/tokens.js";
import { renderSummary } from "../../src/evals/report.js";
import { shardOf } from "../../src/shard/partition.js";
import { createClient } from "../../src/llm/client.js";
import type { ClientOptions } from "../../src/llm/types.js";
import { type RecordedRequest, startOpenAIServer } from "../../src/testing/openai-server.js";
import { builtCli } from "../helpers/built-cli.js";
import { tempDir } from "../helpers/collect.js";

const kind = graphwalksEval();
const items = [...generateGraphwalks({ seed: 8, promptChars: [1800, 2600], perSize: 5 })];
const byPrompt = new Map(items.map((item) => [item.prompt, item]));

function itemOf(request: RecordedRequest): GraphwalksItem {
  const body = request.body as { messages: { content: string }[] };
  return byPrompt.get(body.messages[0]!.content)!;
}

/** A deterministic model: right on every other item, half right on the rest. */
function answerFor(item: GraphwalksItem): string {
  const index = items.indexOf(item);
  const nodes = index % 2 === 0 ? item.answer_nodes : item.answer_nodes.slice(0, Math.ceil(item.answer_nodes.length / 2));
  return `Let me walk the graph.\nFinal Answer: [${nodes.join(", ")}]`;
}

const client = (url: string, options: Partial<ClientOptions> = {}) => createClient({ endpoint: url, backoff: { baseMs: 1, maxMs: 5 }, ...options });
const readRecords = (dir: string): ResultRecord[] =>
  readFileSync(join(dir, "results.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as ResultRecord);

test("429s are retried; every item is graded once and written in item order", async () => {
  const firstSeen = new Set<string>();
  const server = await startOpenAIServer((request) => {
    const item = itemOf(request);
    if (!firstSeen.has(item.id)) {
      firstSeen.add(item.id);
      return { type: "error", status: 429, retryAfter: "0" };
    }
    return { type: "answer", content: answerFor(item) };
  });
  const llm = client(server.url, { concurrency: 4 });
  try {
    const out = tempDir();
    const { summary } = await runEval({ kind, items, outDir: out, answers: { client: llm, model: "m" }, concurrency: 4 });
    assert.equal(server.requests.length, 2 * items.length);
    assert.deepEqual(summary.counts, { items: 20, graded: 20, failed: 0, over_context: 0, missing: 0, resumed: 0, cached: 0, unmatched_responses: 0 });
    const records = readRecords(out);
    assert.deepEqual(records.map((r) => r.id), items.map((i) => i.id));
    assert.ok(records.every((r) => r.attempts === 2));
    assert.deepEqual(records.map((r) => r.score), items.map((item) => kind.grade(item, answerFor(item)).score));
  } finally {
    await llm.close();
    await server.close();
  }
});

test("a rerun is answered from the cache (zero new requests) or, in the same folder, from the earlier results", async () => {
  const server = await startOpenAIServer((request) => ({ type: "answer", content: answerFor(itemOf(request)) }));
  const cacheDir = join(tempDir(), "cache");
  const first = tempDir();
  const run = async (outDir: string, withCache: boolean) => {
    const llm = client(server.url, withCache ? { cacheDir } : {});
    try {
      return await runEval({ kind, items, outDir, answers: { client: llm, model: "m" }, concurrency: 8 });
    } finally {
      await llm.close();
    }
  };
  try {
    const a = await run(first, true);
    assert.equal(server.requests.length, items.length);
    const b = await run(tempDir(), true);
    assert.equal(server.requests.length, items.length, "no new request reached the server");
    assert.equal(b.summary.counts.cached, items.length);
    const c = await run(first, false);
    assert.equal(server.requests.length, items.length);
    assert.equal(c.summary.counts.resumed, items.length);
    assert.deepEqual([b.summary.overall, c.summary.overall], [a.summary.overall, a.summary.overall]);
    await assert.rejects(
      runEval({ kind, items, outDir: first, answers: { client: client(server.url), model: "other" } }),
      (error: Error) => error instanceof EvalUsageError && /holds answers of another run/.test(error.message),
    );
  } finally {
    await server.close();
  }
});

test("a results file cut mid-line by a kill resumes: the torn line is dropped, only the missing items are asked", async () => {
  const server = await startOpenAIServer((request) => ({ type: "answer", content: answerFor(itemOf(request)) }));
  try {
    const full = tempDir();
    await runEval({ kind, items, outDir: full, answers: { client: client(server.url), model: "m" } });
    const lines = readFileSync(join(full, "results.jsonl"), "utf8").split("\n");
    const partial = tempDir();
    const kept = [lines[3], lines[0], lines[7]].join("\n");
    writeFileSync(join(partial, "results.jsonl"), `${kept}\n${lines[9]!.slice(0, 40)}`);
    const before = server.requests.length;
    const { summary } = await runEval({ kind, items, outDir: partial, answers: { client: client(server.url), model: "m" } });
    assert.equal(server.requests.length - before, items.length - 3);
    assert.equal(summary.counts.resumed, 3);
    assert.equal(readFileSync(join(partial, "results.jsonl"), "utf8"), readFileSync(join(full, "results.jsonl"), "utf8"));
  } finally {
    await server.close();
  }
});

test("a run killed with SIGKILL resumes without asking again for what it wrote, and without duplicates", async () => {
  const server = await startOpenAIServer((request) => ({ type: "answer", content: answerFor(itemOf(request)), delayMs: 40 }));
  const dir = tempDir();
  const out = join(dir, "out");
  writeFileSync(join(dir, "items.jsonl"), items.map((item) => JSON.stringify(kind.toRow(item))).join("\n"));
  // the semi-space size acc relaunches eval with, given here: one process, the one doing the work, is killed (src/cli/relaunch.ts)
  const args = ["--max-semi-space-size=64", (await builtCli()).main, "eval", "graphwalks", "--data", join(dir, "items.jsonl"), "--endpoint", server.url, "--model", "m", "-o", out, "--concurrency", "2", "--no-cache", "-q"];
  try {
    const child = spawn(process.execPath, args, { cwd: join(import.meta.dirname, "../.."), stdio: "ignore" });
    const journal = join(out, "results.jsonl");
    for (let waited = 0; !(existsSync(journal) && readFileSync(journal, "utf8").split("\n").length > 5); waited += 20) {
      assert.ok(waited < 30_000, "the child wrote results");
      await sleep(20);
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.on("exit", resolve));
    const written = readFileSync(journal, "utf8").split("\n").filter((line) => line.endsWith("}")).length;
    assert.ok(written >= 5 && written < items.length);
    const asked = server.requests.length;
    const { summary } = await runEval({ kind, items, outDir: out, answers: { client: client(server.url), model: "m" } });
    assert.equal(server.requests.length - asked, items.length - written);
    assert.equal(summary.counts.resumed, written);
    assert.deepEqual(readRecords(out).map((r) => r.id), items.map((i) => i.id));
  } finally {
    await server.close();
  }
});

test("requests that keep failing are counted and listed, and asked again by the next run", async () => {
  const broken = items[4]!.id;
  let healthy = false;
  const server = await startOpenAIServer((request) => {
    const item = itemOf(request);
    return item.id === broken && !healthy ? { type: "error", status: 500 } : { type: "answer", content: answerFor(item) };
  });
  const out = tempDir();
  try {
    const first = await runEval({ kind, items, outDir: out, answers: { client: client(server.url, { maxRetries: 1 }), model: "m" } });
    assert.deepEqual([first.summary.counts.items, first.summary.counts.graded, first.summary.counts.failed], [20, 19, 1]);
    const [failure] = readFileSync(first.files.failures!, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(failure.id, broken);
    assert.match(failure.error, new RegExp(`500.*${server.url.replace(/[/.]/g, "\\$&")}/chat/completions, attempt 2`));
    healthy = true;
    const asked = server.requests.length;
    const second = await runEval({ kind, items, outDir: out, answers: { client: client(server.url), model: "m" } });
    assert.equal(server.requests.length - asked, 1);
    assert.equal(second.summary.counts.graded, 20);
    assert.equal(existsSync(join(out, "failures.jsonl")), false);
  } finally {
    await server.close();
  }
});

test("a prompt refused as longer than the model's context window is asked once, counted as over_context with its tokens, and named in the summary", async () => {
  const longest = Math.max(...items.map((item) => item.prompt.length));
  const refused = new Set(items.filter((item) => item.prompt.length === longest).map((item) => item.id));
  // vLLM's refusal (serving_engine.py): a 400 with an {"object": "error"} body
  const vllmRefusal = JSON.stringify({ object: "error", message: "This model's maximum context length is 1024 tokens. However, you requested 2048 tokens.", type: "BadRequestError", param: null, code: 400 });
  const server = await startOpenAIServer((request) => {
    const item = itemOf(request);
    return refused.has(item.id) ? { type: "raw", status: 400, body: vllmRefusal } : { type: "answer", content: answerFor(item) };
  });
  const out = tempDir();
  try {
    const { summary, files } = await runEval({ kind, items, outDir: out, answers: { client: client(server.url, { maxRetries: 3 }), model: "m" } });
    assert.equal(server.requests.length, items.length, "refusals are not retried");
    assert.deepEqual([summary.counts.failed, summary.counts.over_context, summary.counts.graded], [refused.size, refused.size, items.length - refused.size]);
    const failures = readFileSync(files.failures!, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { id: string; code: string; tokens: number });
    assert.deepEqual(failures.map((f) => f.id).sort(), [...refused].sort());
    const counter = inProcessCounter();
    for (const failure of failures) {
      assert.equal(failure.code, "context-length");
      assert.equal(failure.tokens, await counter.count(kind.contextTexts(items.find((item) => item.id === failure.id)!)));
    }
    assert.match(renderSummary(summary), new RegExp(`${refused.size} failed \\(${refused.size} longer than the model's context window\\)`));
  } finally {
    await server.close();
  }
});

test("outputs are byte-identical whatever the concurrency, the order answers arrive in, and where tokens are counted", async () => {
  const server = await startOpenAIServer((request) => ({ type: "answer", content: answerFor(itemOf(request)), delayMs: (request.index * 7) % 23 }));
  const workers = workerCounter(2);
  try {
    const outs = [tempDir(), tempDir()];
    await runEval({ kind, items, outDir: outs[0]!, answers: { client: client(server.url), model: "m" }, concurrency: 1 });
    await runEval({ kind, items, outDir: outs[1]!, answers: { client: client(server.url, { concurrency: 8 }), model: "m" }, concurrency: 8, tokens: workers });
    for (const name of ["results.jsonl", "summary.json", "report.html"]) {
      assert.equal(readFileSync(join(outs[1]!, name), "utf8"), readFileSync(join(outs[0]!, name), "utf8"), name);
    }
  } finally {
    await workers.close();
    await server.close();
  }
});

test("bad data in the middle of a run stops it with that error (not the aborted requests'), keeping what was graded", async () => {
  const server = await startOpenAIServer((request) => ({ type: "answer", content: answerFor(itemOf(request)), delayMs: request.index < 2 ? 0 : 200 }));
  // the bad line comes once the two quick answers are graded (an event, not a sleep: a busy machine is slow)
  let twoGraded: () => void = () => {};
  const graded = new Promise<void>((resolve) => (twoGraded = resolve));
  async function* data() {
    yield* items.slice(0, 6);
    await graded;
    throw new EvalDataError("data.jsonl: line 7: column prompt must be a string, got number 7");
  }
  try {
    const out = tempDir();
    const onProgress = (counts: { graded: number }) => counts.graded >= 2 && twoGraded();
    await assert.rejects(
      runEval({ kind, items: data(), outDir: out, answers: { client: client(server.url, { concurrency: 8 }), model: "m" }, concurrency: 8, onProgress }),
      (error: Error) => error instanceof EvalDataError && /line 7/.test(error.message),
    );
    assert.deepEqual(readRecords(out).map((r) => r.id), [items[0]!.id, items[1]!.id]);
    assert.equal(existsSync(join(out, "summary.json")), false);
  } finally {
    await server.close();
  }
});

test("a shard's progress counts every item read, the other shards' included, so its bar ends at the whole input", async () => {
  const server = await startOpenAIServer((request) => ({ type: "answer", content: answerFor(itemOf(request)) }));
  try {
    const reads: number[] = [];
    let answered = 0;
    const onProgress = (counts: { items: number }, read: number) => {
      reads.push(read);
      answered = counts.items;
    };
    await runEval({ kind, items, outDir: tempDir(), answers: { client: client(server.url), model: "m" }, concurrency: 1, shard: { index: 0, count: 3 }, onProgress });
    assert.ok(answered > 0 && answered < items.length, `shard 0/3 answered ${answered} of ${items.length}`);
    assert.ok(items.some((item) => shardOf(item.id, 3) !== 0));
    assert.equal(Math.max(...reads), items.length);
  } finally {
    await server.close();
  }
});
