import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { createClient } from "../../src/llm/client.js";
import { LlmError } from "../../src/llm/types.js";
import { type CandidateReject, type SampleOutcome, teachSample } from "../../src/teach/candidates.js";
import { teachRun } from "../../src/teach/run.js";
import { type Reply, startOpenAIServer } from "../../src/testing/openai-server.js";
import { DEFAULT_VERIFY_SETUP, Verifiers } from "../../src/verify/index.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemOf, itemSample, jsonLines, readOutputs, writeSamples } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

const right = (item: number): Reply => ({ type: "answer", content: `Final answer: ${3 * item} EUR`, reasoning: `Item ${item} is listed.` });

/** What goes wrong with item i before the server answers it (by i mod 8), and how many attempts it costs. */
const FAULTS: { name: string; replies: Reply[] }[] = [
  { name: "a burst of 429s", replies: [0, 1, 2].map(() => ({ type: "error", status: 429, retryAfter: "0" })) },
  { name: "500s", replies: [{ type: "error", status: 500 }, { type: "error", status: 503 }] },
  { name: "a hang past the timeout", replies: [{ type: "hang" }] },
  { name: "a truncated stream or body", replies: [{ type: "truncate", chunks: 2 }] },
  { name: "an invalid JSON body", replies: [{ type: "malformed", body: "invalid-json" }] },
  { name: "a body without choices, then a reset", replies: [{ type: "malformed", body: "no-choices" }, { type: "reset" }] },
  { name: "no final answer", replies: [] },
  { name: "a dead item", replies: [] },
];

function faultyTeacher() {
  const attempts = new Map<string, number>();
  return (request: Parameters<typeof itemOf>[0]): Reply => {
    const { item, seed } = itemOf(request);
    const key = `${item}:${seed}`;
    const n = attempts.get(key) ?? 0;
    attempts.set(key, n + 1);
    const fault = FAULTS[item % FAULTS.length]!;
    if (fault.name === "no final answer") return { type: "answer", content: "It depends on the shop." };
    if (fault.name === "a dead item") return { type: "error", status: 502, message: "bad gateway" };
    return fault.replies[n] ?? right(item);
  };
}

for (const stream of [false, true]) {
  test(`teach faults (${stream ? "streaming" : "plain"}): 429 bursts, 500s, hangs, truncation, invalid bodies, resets and answers without a final answer; every sample ends once, with a reason`, async () => {
    const dir = tempDir();
    const count = 32;
    const input = writeSamples(dir, Array.from({ length: count }, (_, i) => itemSample(i + 1)));
    const server = await startOpenAIServer(faultyTeacher());
    // the timeout only has to outlast an answer on a loaded machine: the hang item waits it out once
    const client = createClient({ endpoint: server.url, stream, timeoutMs: 2_000, maxRetries: 3, backoff: { baseMs: 1, maxMs: 5 }, circuitBreaker: false, cacheDir: join(dir, "cache") });
    cleanups.push(() => client.close(), () => server.close());
    const stats = await teachRun({
      input,
      outDir: join(dir, "out"),
      client,
      endpoint: server.url,
      setup: { model: "teacher", candidates: 2, seed: 0, keepAll: false },
      verify: DEFAULT_VERIFY_SETUP,
      concurrency: 16,
    });
    const [samplesText, rejectsText, outcomesText] = readOutputs(join(dir, "out"));
    const outcomes = jsonLines<SampleOutcome>(outcomesText!);
    assert.deepEqual(outcomes.map((o) => o.line), Array.from({ length: count }, (_, i) => i + 1), "one outcome per sample, in order");
    const kept = jsonLines<{ id: string }>(samplesText!).map((s) => s.id);
    assert.equal(new Set(kept).size, kept.length, "no sample kept twice");
    const rejects = jsonLines<CandidateReject>(rejectsText!);
    for (const [i, outcome] of outcomes.entries()) {
      const fault = FAULTS[(i + 1) % FAULTS.length]!.name;
      assert.ok(outcome.reason !== "", `${fault}: a reason`);
      assert.equal(kept.includes(outcome.sample_id), outcome.outcome === "kept", `${fault}: kept in samples.jsonl exactly when its outcome says so`);
      if (fault === "no final answer") {
        assert.deepEqual([outcome.outcome, outcome.reason, outcome.detail], ["rejected", "no-verified-candidate", "2 candidates: no-final-answer×2"]);
      } else if (fault === "a dead item") {
        assert.deepEqual([outcome.outcome, outcome.reason], ["rejected", "request-failed"]);
        const failures = rejects.filter((r) => r.sample_id === outcome.sample_id);
        assert.equal(failures.length, 2);
        assert.match(failures[0]!.detail, /HTTP 502: bad gateway \(http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions, attempt 4\)/);
      } else {
        assert.deepEqual([outcome.outcome, outcome.candidates], ["kept", 1], `${fault}: retried until answered`);
      }
    }
    // the server saw each fault, then the answer: attempts per item are known from the script
    const expected = outcomes.reduce((n, _o, i) => {
      const fault = FAULTS[(i + 1) % FAULTS.length]!;
      if (fault.name === "no final answer") return n + 2;
      if (fault.name === "a dead item") return n + 2 * 4;
      return n + fault.replies.length + 1;
    }, 0);
    assert.equal(server.requests.length, expected);
    const d = stats.data.domains.search!;
    assert.equal(stats.data.kept_samples + stats.data.rejected_samples, count);
    assert.equal(d.candidates, outcomes.reduce((n, o) => n + o.candidates, 0));
    assert.equal(rejects.length, d.candidates - d.passed);
    assert.deepEqual(d.reject_reasons, { "no-final-answer": 8, "request-failed": 8 });
  });
}

test("teach: when the circuit breaker opens the run stops with a clear message; rerun, it resumes and ends like an uninterrupted run", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 80 }, (_, i) => itemSample(i + 1)));
  let healthy = true;
  let answered = 0;
  const server = await startOpenAIServer((request) => {
    if (!healthy && answered >= 20) return { type: "error", status: 500 };
    answered++;
    return right(itemOf(request).item);
  });
  cleanups.push(() => server.close());
  const args = (out: string) => ["teach", input, "--endpoint", server.url, "--model", "teacher", "--candidates", "1", "-o", out, "--cache", join(out, "cache"), "--concurrency", "64", "-q"];
  const clean = await runCli(args(join(dir, "clean")));
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(answered, 80);
  answered = 0;
  healthy = false;
  const out = join(dir, "broken");
  const stopped = await runCli(args(out));
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /^acc: circuit breaker open after repeated server failures[^\n]*; the run stopped and its progress is saved: rerun the same command to resume\n$/);
  assert.equal(existsSync(join(out, "samples.jsonl")), false, "no final output from a stopped run");
  assert.equal(answered, 20);
  healthy = true;
  const resumed = await runCli(args(out));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(readOutputs(out), readOutputs(join(dir, "clean")));
  assert.equal(answered, 80, "the 20 answers of the stopped run were not asked again");
});

test("teach: a prompt the server refuses as longer than its context window rejects the sample as context-length after one request", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 4 }, (_, i) => itemSample(i + 1)));
  // vLLM's refusal (serving_engine.py) for item 2; the others are answered
  const vllmRefusal = JSON.stringify({ object: "error", message: "This model's maximum context length is 4096 tokens. However, you requested 5120 tokens.", type: "BadRequestError", param: null, code: 400 });
  const server = await startOpenAIServer((request): Reply => (itemOf(request).item === 2 ? { type: "raw", status: 400, body: vllmRefusal } : right(itemOf(request).item)));
  const client = createClient({ endpoint: server.url, maxRetries: 3, backoff: { baseMs: 1, maxMs: 5 } });
  cleanups.push(() => client.close(), () => server.close());
  const stats = await teachRun({
    input,
    outDir: join(dir, "out"),
    client,
    endpoint: server.url,
    setup: { model: "teacher", candidates: 4, seed: 0, keepAll: false },
    verify: DEFAULT_VERIFY_SETUP,
    concurrency: 2,
  });
  const outcomes = jsonLines<SampleOutcome>(readOutputs(join(dir, "out"))[2]!);
  assert.deepEqual(
    outcomes.map((o) => [o.outcome, o.candidates]),
    [["kept", 1], ["rejected", 1], ["kept", 1], ["kept", 1]],
  );
  assert.equal(outcomes[1]!.reason, "context-length");
  assert.equal(server.requests.length, 4, "the refused prompt was sent once: not retried, no other candidate asked");
  const d = stats.data.domains.search!;
  assert.deepEqual(d.reject_reasons, { "context-length": 1 });
  assert.equal(d.answered, 3);
});

test("teachSample: a client or verifier that throws instead of rejecting is handled as an await would (the candidate rejected, or the run stopped)", async () => {
  const verifiers = await Verifiers.create(DEFAULT_VERIFY_SETUP);
  const setup = { model: "m", candidates: 2, seed: 0, keepAll: false };
  const answer = { content: "Final answer: 3 EUR", reasoning: null, tool_calls: [], finish_reason: "stop", finish: "stop" as const, usage: null, model: "m", cached: false, attempts: 1, raw: {} };
  let calls = 0;
  // the first request throws an LlmError at once, the second is answered
  const flaky = {
    chat: () => {
      if (calls++ === 0) throw new LlmError("http", "HTTP 500: boom", { url: "http://x", attempt: 1, status: 500 });
      return Promise.resolve(answer);
    },
    stats: () => ({ requests: 0, cache_hits: 0, retries: 0, failures: 0, prompt_tokens: 0, completion_tokens: 0 }),
    close: async () => {},
  };
  const taught = await teachSample(itemSample(1), 1, flaky, verifiers, setup);
  assert.deepEqual([taught.outcome.outcome, taught.outcome.candidates, taught.rejects.map((r) => r.reason)], ["kept", 2, ["request-failed"]]);
  // any other throw stops the run, as a rejection of the sample's promise
  const broken = { ...flaky, chat: () => { throw new TypeError("not a client"); } };
  await assert.rejects(teachSample(itemSample(2), 2, broken, verifiers, setup), TypeError);
  const throwingVerifiers = Object.assign(Object.create(verifiers) as typeof verifiers, { verify: () => { throw new LlmError("timeout", "judge silent", { url: "http://j", attempt: 1 }); } });
  const judged = await teachSample(itemSample(3), 3, { ...flaky, chat: () => Promise.resolve(answer) }, throwingVerifiers, setup);
  assert.deepEqual([judged.outcome.outcome, judged.rejects.map((r) => [r.reason, r.answer])], ["rejected", [["judge-request-failed", "3 EUR"], ["judge-request-failed", "3 EUR"]]]);
  await verifiers.close();
});
