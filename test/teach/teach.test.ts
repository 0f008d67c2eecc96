import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { createClient } from "../../src/llm/client.js";
import type { ClientOptions } from "../../src/llm/types.js";
import { Sample } from "../../src/records/sample.js";
import type { CandidateReject, SampleOutcome, TeachSetup } from "../../src/teach/candidates.js";
import { teachRun } from "../../src/teach/run.js";
import type { TeachStats, TeachStatsData } from "../../src/teach/stats.js";
import { type OpenAIServer, type ServerScript, startOpenAIServer } from "../../src/testing/openai-server.js";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { DEFAULT_VERIFY_SETUP, type VerifySetup } from "../../src/verify/index.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { buildExamples, EXAMPLE_LOGS } from "../helpers/examples.js";
import { calcRepo, GOLD } from "../verify/calc-repo.js";
import { itemOf, itemSample, jsonLines, readOutputs, teacherReply, writeSamples } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
after(() => Promise.all(cleanups.map((c) => c())));

async function server(script: ServerScript): Promise<OpenAIServer> {
  const started = await startOpenAIServer(script);
  cleanups.push(() => started.close());
  return started;
}

interface RunOverrides {
  setup?: Partial<TeachSetup>;
  verify?: Partial<VerifySetup>;
  client?: Partial<ClientOptions>;
  concurrency?: number;
  shard?: { index: number; count: number };
  onProgress?: (stats: TeachStats, linesRead: number) => void;
}

async function teach(input: string, out: string, at: OpenAIServer, overrides: RunOverrides = {}) {
  const client = createClient({ endpoint: at.url, cacheDir: join(out, "cache"), backoff: { baseMs: 1, maxMs: 5 }, ...overrides.client });
  try {
    return await teachRun({
      input,
      outDir: out,
      client,
      endpoint: at.url,
      setup: { model: "teacher", candidates: 4, seed: 0, keepAll: false, ...overrides.setup },
      verify: { ...DEFAULT_VERIFY_SETUP, ...overrides.verify },
      concurrency: overrides.concurrency ?? 8,
      ...(overrides.shard ? { shard: overrides.shard } : {}),
      ...(overrides.onProgress ? { onProgress: overrides.onProgress } : {}),
    });
  } finally {
    await client.close();
  }
}

test("teach: the bundled examples, compiled: requests carry only the prompt, kept samples carry the teacher's answer, the table adds up", async () => {
  const { db, repo } = buildExamples();
  const compiled = tempDir();
  const compile = await runCli(["compile", EXAMPLE_LOGS, "-o", compiled, "--repo", repo, "--db", db, "--workers", "1", "-q"]);
  assert.equal(compile.code, 0, compile.stderr);
  const input = join(compiled, "samples.jsonl");
  const samples = jsonLines<Sample>(readFileSync(input, "utf8"));
  const swe = samples.find((s) => s.meta.domain === "swe")!;
  // the teacher restates each agent answer (reasoning apart), except for the Everest one, and fixes the SWE bug like the gold patch
  const at = await server((request) => {
    const user = (request.body as { messages: { content: string }[] }).messages[1]!.content;
    const sample = samples.find((s) => s.messages[0]!.content === user)!;
    if (sample === swe) return { type: "answer", content: `The split is wrong.\n\`\`\`diff\n${swe.meta.task.gold_patch}\`\`\`` };
    if (sample.meta.task.question.includes("Everest")) return { type: "answer", content: "Final answer: 100 °C" };
    return { type: "answer", content: `Final answer: ${sample.target.answer}`, reasoning: "Read the documents." };
  });
  const out = tempDir();
  const result = await runCli(["teach", input, "--endpoint", at.url, "--model", "teacher", "--candidates", "2", "-o", out, "--cache", join(out, "cache"), "-q"]);
  assert.equal(result.code, 0, result.stderr);

  const outcomes = jsonLines<SampleOutcome>(readFileSync(join(out, "outcomes.jsonl"), "utf8"));
  assert.deepEqual(outcomes.map((o) => o.sample_id), samples.map((s) => s.id), "one outcome per sample, in input order");
  const everest = samples.findIndex((s) => s.meta.task.question.includes("Everest"));
  outcomes.forEach((o, i) => assert.equal(o.outcome, i === everest ? "rejected" : "kept", o.sample_id));
  assert.equal(outcomes.find((o) => o.sample_id === swe.id)!.reference, "patch-gold");
  assert.deepEqual(outcomes[everest]!.candidates, 2);

  for (const request of at.requests) {
    const body = request.body as { model: string; seed: number; messages: { role: string; content: string }[] };
    const sample = samples.find((s) => s.messages[0]!.content === body.messages[1]!.content)!;
    assert.deepEqual(body.messages.map((m) => m.role), ["system", "user"], "the compiled prompt only, never the target");
    assert.ok(Number.isInteger(body.seed) && body.seed >= 0);
    assert.ok(!body.messages[0]!.content.includes(sample.target.answer));
  }
  const kept = jsonLines<Sample>(readFileSync(join(out, "samples.jsonl"), "utf8"));
  assert.equal(kept.length, samples.length - 1);
  for (const sample of kept) {
    Sample.parse(sample);
    const original = samples.find((s) => s.id === sample.id)!;
    assert.equal(sample.target.answer_origin, "teacher");
    assert.deepEqual(sample.messages.at(-1), { role: "assistant", content: sample.target.answer, reasoning: sample.target.reasoning });
    assert.deepEqual(sample.meta, original.meta);
    assert.deepEqual(sample.messages[0], original.messages[0]);
    if (sample.id === swe.id) {
      assert.equal(sample.target.answer, swe.meta.task.gold_patch);
      assert.deepEqual([sample.target.reasoning, sample.target.reasoning_origin], ["The split is wrong.", "teacher"]);
    } else {
      assert.deepEqual([sample.target.answer, sample.target.reasoning], [original.target.answer, "Read the documents."]);
    }
  }
  const rejects = jsonLines<CandidateReject>(readFileSync(join(out, "rejects.jsonl"), "utf8"));
  assert.deepEqual(rejects.map((r) => [r.sample_id, r.candidate, r.reason, r.answer]), [[samples[everest]!.id, 0, "mismatch", "100 °C"], [samples[everest]!.id, 1, "mismatch", "100 °C"]]);
  assert.match(rejects[0]!.detail, /number 100 differs from gold 70|gold number 70 is not in the answer|token F1/);
  // table: search 3 samples, 4 candidates asked (1 + 1 + 2), 2 of 4 pass, kept 2
  assert.match(result.stderr, /search\s+3\s+4\s+50\.0%\s+2\s+1\s/);
  assert.match(result.stderr, /swe\s+1\s+1\s+100\.0%\s+1\s+0\s/);
  assert.match(result.stderr, /read 7 = kept 6 \+ rejected 1 \+ invalid lines 0/);
  assert.match(result.stderr, /this run: 8 requests sent, 0 answers from the cache/);
  const stats = JSON.parse(readFileSync(join(out, "stats.json"), "utf8")) as TeachStatsData;
  assert.deepEqual(Object.keys(stats.domains).sort(), ["search", "sql", "swe"]);
});

test("teach: candidates go one at a time until one verifies; outputs are byte-identical at any concurrency; every count adds up", async () => {
  const dir = tempDir();
  const samples = Array.from({ length: 40 }, (_, i) => itemSample(i + 1));
  const input = writeSamples(dir, samples);
  const one = await server(teacherReply);
  const many = await server((request) => ({ ...teacherReply(request), delayMs: 5 }));
  const [a, b] = [join(dir, "c1"), join(dir, "c16")];
  const stats = await teach(input, a, one, { concurrency: 1 });
  await teach(input, b, many, { concurrency: 16 });
  assert.deepEqual(readOutputs(b), readOutputs(a));
  assert.ok(many.inFlight().max > 1, "the second run had several requests in flight");
  const asked = (s: OpenAIServer) => s.requests.map((r) => JSON.stringify(itemOf(r))).sort();
  assert.deepEqual(asked(many), asked(one), "the same requests (item and seed) whatever the concurrency");

  // expected outcome from the requests the server saw and the simulated teacher's rule
  const outcomes = jsonLines<SampleOutcome>(readOutputs(a)[2]!);
  const rejects = jsonLines<CandidateReject>(readOutputs(a)[1]!);
  let kept = 0;
  samples.forEach((sample, i) => {
    const seeds = one.requests.filter((r) => itemOf(r).item === i + 1).map((r) => itemOf(r).seed);
    assert.equal(new Set(seeds).size, seeds.length, "each candidate has its own seed");
    const first = seeds.findIndex((seed) => seed % 2 === 0);
    assert.equal(seeds.length, first === -1 ? 4 : first + 1, "asked until the first right answer, at most 4");
    const outcome = outcomes[i]!;
    assert.equal(outcome.outcome, first === -1 ? "rejected" : "kept");
    assert.deepEqual(outcome.kept, first === -1 ? [] : [first]);
    const mine = rejects.filter((r) => r.sample_id === sample.id);
    assert.deepEqual(
      mine.map((r) => [r.seed, r.reason]),
      seeds.filter((seed) => seed % 2 !== 0).map((seed) => [seed, seed % 4 === 1 ? "mismatch" : "no-final-answer"]),
    );
    if (first !== -1) kept++;
  });
  assert.ok(kept > 0 && kept < 40, "the seeds give a mix of kept and rejected samples");
  const d = stats.data.domains.search!;
  assert.deepEqual([stats.data.read, stats.data.kept_samples, stats.data.rejected_samples], [40, kept, 40 - kept]);
  assert.deepEqual([d.candidates, d.answered, d.passed, d.kept_records], [one.requests.length, one.requests.length, kept, kept]);
  assert.equal(rejects.length, one.requests.length - kept);
  assert.equal(jsonLines(readOutputs(a)[0]!).length, kept);
  // the test server reports whitespace-separated words as tokens
  const words = (text: string | undefined) => (text ? text.split(/\s+/).filter(Boolean).length : 0);
  const promptWords = one.requests.reduce((n, r) => n + (r.body as { messages: { content: string }[] }).messages.reduce((m, x) => m + words(x.content), 0), 0);
  const completionWords = one.requests.reduce((n, r) => n + words(teacherReply(r).content) + words(teacherReply(r).reasoning), 0);
  assert.deepEqual([d.prompt_tokens, d.completion_tokens], [promptWords, completionWords]);
  assert.deepEqual(d.references, { "qa:ground_truth": 40 });
});

test("teach: a slow answer at the head does not stop the requests behind it; outputs stay in input order", async () => {
  const dir = tempDir();
  const samples = Array.from({ length: 40 }, (_, i) => itemSample(i + 1));
  const input = writeSamples(dir, samples);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // a guard, so that a regression fails the test rather than hang it
  const guard = setTimeout(release, 5000);
  let others = 0;
  let othersBeforeFirst = -1;
  const slow = await server(async (request) => {
    if (itemOf(request).item === 1) {
      await gate;
      othersBeforeFirst = others;
    } else if (++others === 30) {
      release();
    }
    return teacherReply(request);
  });
  const one = await server(teacherReply);
  // two samples in flight: the first one's answer comes only after 30 requests for the samples behind it
  await teach(input, join(dir, "slow"), slow, { concurrency: 2 });
  clearTimeout(guard);
  assert.ok(othersBeforeFirst >= 30, `requests for later samples made while the first waited: ${othersBeforeFirst}`);
  assert.ok(slow.inFlight().max <= 2, "never more than the concurrency in flight");
  await teach(input, join(dir, "one"), one, { concurrency: 1 });
  assert.deepEqual(readOutputs(join(dir, "slow")), readOutputs(join(dir, "one")), "byte-identical to a run one at a time");
});

test("teach: --keep-all asks every candidate and keeps each verified one under its own id", async () => {
  const dir = tempDir();
  const samples = Array.from({ length: 12 }, (_, i) => itemSample(i + 1));
  const input = writeSamples(dir, samples);
  const at = await server(teacherReply);
  const stats = await teach(input, join(dir, "out"), at, { setup: { keepAll: true, candidates: 3 } });
  assert.equal(at.requests.length, 36);
  const kept = jsonLines<Sample>(readOutputs(join(dir, "out"))[0]!);
  const expected = at.requests.filter((r) => itemOf(r).seed % 2 === 0).length;
  assert.equal(kept.length, expected);
  assert.equal(new Set(kept.map((s) => s.id)).size, kept.length);
  for (const sample of kept) assert.match(sample.id, /^sample-\d{4}-c[0-2]$/);
  assert.equal(stats.data.domains.search!.kept_records, expected);
});

test("teach: invalid lines and repeated samples end rejected with file, line and reason; nothing is asked for them", async () => {
  const dir = tempDir();
  const good = itemSample(1);
  const notASample = JSON.stringify({ id: "x", messages: [] });
  const input = writeSamples(dir, [good, itemSample(2)], ["{broken", notASample, JSON.stringify(good)]);
  const at = await server(() => ({ type: "answer", content: "Final answer: 3 EUR" }));
  const stats = await teach(input, join(dir, "out"), at);
  const outcomes = jsonLines<Record<string, unknown>>(readOutputs(join(dir, "out"))[2]!);
  assert.deepEqual(
    outcomes.map((o) => [o["line"], o["outcome"], o["reason"]]),
    [
      [1, "kept", "exact-match"],
      [2, "rejected", "no-verified-candidate"],
      [3, "rejected", "invalid-sample"],
      [4, "rejected", "invalid-sample"],
      [5, "rejected", "duplicate-sample"],
    ],
  );
  assert.equal(outcomes[2]!["file"], input);
  assert.match(String(outcomes[2]!["detail"]), /invalid JSON/);
  assert.match(String(outcomes[3]!["detail"]), /not a valid sample: at schema: expected/);
  assert.deepEqual([stats.data.read, stats.data.invalid, stats.data.duplicates, stats.data.kept_samples, stats.data.rejected_samples], [5, 2, 1, 1, 2]);
  assert.equal(at.requests.length, 1 + 4);
});

test("teach: SQL samples are checked by running the gold query on the database; answers the rules reject go to the judge", async () => {
  const dir = tempDir();
  const dbPath = join(dir, "shop.sqlite");
  const db = new Database(dbPath);
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER); INSERT INTO items VALUES (1, 3), (2, 6), (3, 9);");
  db.close();
  const sql = (i: number) => itemSample(i, "sql", { gold_sql: `SELECT price FROM items WHERE id = ${i}`, database: { engine: "sqlite", db_id: "shop" }, ground_truth: null });
  const input = writeSamples(dir, [sql(1), sql(2), itemSample(3)]);
  const at = await server((request) => {
    const body = request.body as { model: string; messages: { content: string }[] };
    if (body.model === "judge") return { type: "answer", content: body.messages[1]!.content.includes("nine euros") ? "Same price.\nVERDICT: PASS" : "VERDICT: FAIL" };
    const { item } = itemOf(request);
    const answers = ["", "Final answer: 3", "Final answer: ```sql\nSELECT price + 1 FROM items WHERE id = 2\n```", "Final answer: nine euros"];
    return { type: "answer", content: answers[item]! };
  });
  const client = createClient({ endpoint: at.url });
  cleanups.push(() => client.close());
  await teach(input, join(dir, "out"), at, { setup: { candidates: 1 }, verify: { db: dir, judge: { client, model: "judge" } } });
  const outcomes = jsonLines<SampleOutcome>(readOutputs(join(dir, "out"))[2]!);
  assert.deepEqual(
    outcomes.map((o) => [o.reference, o.outcome, o.reason]),
    [
      ["sql", "kept", "value-match"],
      ["sql", "rejected", "no-verified-candidate"],
      ["qa:ground_truth", "kept", "judge-pass"],
    ],
  );
  const reject = jsonLines<CandidateReject>(readOutputs(join(dir, "out"))[1]!)[0]!;
  assert.deepEqual([reject.reason, reject.detail], ["mismatch", "1 rows, the gold 1; 1 gold rows missing, e.g. (6); 1 rows not in the gold, e.g. (7)"]);
  // "nine" is read as 9, so one word of two is shared, but "euros" is not "EUR": the rules still refuse it
  assert.match(outcomes[2]!.detail, /the judge accepted it.*\(rules: token F1 0\.50 < 0\.8/);
});

test("teach: SWE samples with --repo and --test-cmd are verified by running the tests on the teacher's patch at the base commit", { skip: (await sandboxProblem()) ?? false }, async () => {
  const dir = tempDir();
  const { repo, base } = calcRepo();
  const swe = (i: number) => itemSample(i, "swe", { repo: { base_commit: base }, ground_truth: null });
  const input = writeSamples(dir, [swe(1), swe(2)]);
  // item 1: the fix at once; item 2: half a fix (tests fail), then a patch that does not apply, then the fix
  const at = await server((request) => {
    const { item, seed } = itemOf(request);
    const tries = at.requests.filter((r) => itemOf(r).item === item).length;
    const patches = item === 1 ? [GOLD] : [GOLD.replace("+neg() { echo $(( 0 - $1 )); }", "+neg() { echo $(( 0 * $1 )); }"), GOLD.replaceAll("$1 - $2 )); }\n+add", "$1 / $2 )); }\n+add"), GOLD];
    return { type: "answer", content: `Seed ${seed}: the helpers are wrong.\n\`\`\`diff\n${patches[tries - 1]}\`\`\`` };
  });
  await teach(input, join(dir, "out"), at, { concurrency: 1, verify: { repo, testCommand: "sh test.sh", sandbox: { ...DEFAULT_VERIFY_SETUP.sandbox, limits: { ...DEFAULT_VERIFY_SETUP.sandbox.limits, timeoutMs: 20_000 } } } });
  const [samplesText, rejectsText, outcomesText] = readOutputs(join(dir, "out"));
  assert.deepEqual(
    jsonLines<SampleOutcome>(outcomesText!).map((o) => [o.reference, o.outcome, o.reason, o.kept]),
    [
      ["patch-tests", "kept", "tests-passed", [0]],
      ["patch-tests", "kept", "tests-passed", [2]],
    ],
  );
  assert.deepEqual(jsonLines<CandidateReject>(rejectsText!).map((r) => [r.sample_id, r.candidate, r.reason]), [
    ["sample-0002", 0, "tests-failed"],
    ["sample-0002", 1, "patch-does-not-apply"],
  ]);
  const kept = jsonLines<Sample>(samplesText!);
  assert.deepEqual(kept.map((s) => s.target.answer), [GOLD, GOLD]);
  assert.match(kept[0]!.target.reasoning!, /^Seed \d+: the helpers are wrong\.$/);
});

test("a shard's progress counts every input line read, the other shards' included, so its bar ends at the whole input", async () => {
  const dir = tempDir();
  const input = writeSamples(dir, Array.from({ length: 12 }, (_, i) => itemSample(i + 1)));
  const reads: number[] = [];
  let taught = 0;
  await teach(input, join(dir, "out"), await server(teacherReply), {
    shard: { index: 1, count: 3 },
    onProgress: (stats, linesRead) => {
      reads.push(linesRead);
      taught = stats.data.read;
    },
  });
  assert.ok(taught > 0 && taught < 12, `shard 1/3 taught ${taught} of 12`);
  assert.equal(Math.max(...reads), 12);
});
