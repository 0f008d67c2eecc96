// npm run bench:teach [-- --samples 8000]
// Samples/s of `acc teach` (reading and validating samples, the client with its disk cache, answer
// parsing, QA verification, ordered outputs with checkpoints) against the in-process OpenAI-compatible
// server answering at once, 256 in flight, against the raw client (bench/common.ts rawLoad: undici
// Pool.dispatch, the same request bodies built before the clock starts, the same server and in-flight
// count). Target >= 0.8x. The server shares the process, so the rates are CPU-bound: CPU time per sample
// (all threads, server included) is printed too; it is far steadier than wall time on a shared machine.
// `teach --no-cache` shows what the response cache (free resumes) costs. A warm-up round, then 5
// interleaved rounds; ratios are medians of the ratios within each round. Then the work any teach must do
// per sample that the raw client does not, measured alone: the ceiling it sets. acc's code runs from dist/.
// The rounds run twice (bench/common.ts FLAGGED_PASS): 3 rounds of the raw client and teach with V8's default
// young generation, then the above in a node started with --max-semi-space-size=64, as `acc teach` runs
// (src/cli/relaunch.ts), the raw client in it too; the two passes are compared, with the scavenges of each run
// and the young bytes each kept.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { GCProfiler, getHeapStatistics } from "node:v8";
import type { Sample as SampleRecord } from "../src/records/sample.js";
import { build, clock, comparisonLine, cpuMicrosPerItem, FLAGGED_PASS, fromDist, interleavedRounds, median, passLines, passMedians, rawLoad, runFlaggedPass } from "./common.js";

build();
const { canonicalJson, keyOfBody, requestBody } = await fromDist<typeof import("../src/llm/cache.js")>("llm/cache.js");
const { createClient } = await fromDist<typeof import("../src/llm/client.js")>("llm/client.js");
const { parseCompletion } = await fromDist<typeof import("../src/llm/response.js")>("llm/response.js");
const { validateFast } = await fromDist<typeof import("../src/records/fast-validate.js")>("records/fast-validate.js");
const { Sample, SAMPLE_SCHEMA_VERSION } = await fromDist<typeof import("../src/records/sample.js")>("records/sample.js");
const { candidateSeed } = await fromDist<typeof import("../src/teach/candidates.js")>("teach/candidates.js");
const { teacherMessages } = await fromDist<typeof import("../src/teach/prompt.js")>("teach/prompt.js");
const { teachRun } = await fromDist<typeof import("../src/teach/run.js")>("teach/run.js");
const { startOpenAIServer } = await fromDist<typeof import("../src/testing/openai-server.js")>("testing/openai-server.js");
const { completionBody } = await fromDist<typeof import("../src/testing/replies.js")>("testing/replies.js");
const { DEFAULT_VERIFY_SETUP } = await fromDist<typeof import("../src/verify/index.js")>("verify/index.js");
const IN_FLIGHT = 256;
const samplesArg = process.argv.indexOf("--samples");
const SAMPLES = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 8000;
const ROUNDS = 5;
/** Rounds of the shorter pass with V8's default young generation (bench/common.ts FLAGGED_PASS). */
const DEFAULT_ROUNDS = 3;
const FLOOR_ROUNDS = 5;
const work = mkdtempSync(join(tmpdir(), "acc-bench-teach-"));

/** A compiled search sample of ~1.7k characters whose gold is `${3i} EUR`. */
function sample(i: number): SampleRecord {
  const question = `What does item ${i} cost?`;
  const documents = Array.from({ length: 12 }, (_, d) => `<document index="${d + 1}" source="https://shop.example/${i}/${d}">\nItem ${i + d} is sold in store ${d} for ${3 * (i + d)} EUR, says the price list of week ${d}.\n</document>`).join("\n\n");
  return {
    schema: "acc.sample",
    schema_version: SAMPLE_SCHEMA_VERSION,
    id: `sample-${i}`,
    messages: [
      { role: "user", content: `Please reason based on the following documents and answer the question.\n\n${documents}\n\nQuestion: ${question}` },
      { role: "assistant", content: `${3 * i} EUR`, reasoning: null },
    ],
    target: { answer: `${3 * i} EUR`, reasoning: null, answer_origin: "ground_truth", reasoning_origin: "none" },
    meta: {
      trajectory_id: `trajectory-${i}`,
      domain: "search",
      seed: 0,
      tokenizer: "qwen3",
      target_tokens: 2000,
      prompt_tokens: 600,
      evidence_count: 1,
      context_count: 0,
      distractor_count: 11,
      pool_distractor_count: 0,
      question_position: "after",
      split_pieces: [],
      pieces: [],
      task: { question, ground_truth: `${3 * i} EUR` },
    },
  };
}

/** The teacher: right at the first candidate, so one request per sample on both sides. */
function answer(body: unknown) {
  const messages = (body as { messages: { content: string }[] }).messages;
  const item = Number(/Question: What does item (\d+) cost\?$/.exec(messages.at(-1)!.content)?.[1]);
  return { type: "answer" as const, content: `Final answer: ${3 * item} EUR`, reasoning: `Item ${item} costs ${3 * item} EUR on the list.` };
}


const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

/** Per run: bytes the V8 heap allocated and ms of garbage-collection pauses (the whole process: server, client, acc). */
const heapOf: Record<string, { bytes: number; gcMs: number; units: number; scavenges: number; survived: number }[]> = {};

type Run = () => Promise<{ rate: number; units: number; cpu?: number }>;

/** Bytes of young objects a scavenge kept: what stayed in the young generation plus what it promoted. */
function survivedBytes(gc: { beforeGC: GcState; afterGC: GcState }): number {
  const used = (state: GcState, space: string) => state.heapSpaceStatistics.find((s) => s.spaceName === space)?.spaceUsedSize ?? 0;
  return used(gc.afterGC, "new_space") + used(gc.afterGC, "old_space") - used(gc.beforeGC, "old_space");
}

interface GcState {
  heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[];
}

/**
 * Runs `work` under V8's GC profiler: the bytes allocated are the heap's growth between collections
 * (used before each one minus used after the one before), summed, plus what is left at the end.
 */
function withHeap(name: string, work: Run): Run {
  return async () => {
    const profiler = new GCProfiler();
    profiler.start();
    let used = getHeapStatistics().used_heap_size;
    const result = await work();
    const end = getHeapStatistics().used_heap_size;
    const { statistics } = profiler.stop();
    let bytes = 0;
    let gcMs = 0;
    const survived: number[] = [];
    for (const gc of statistics) {
      bytes += gc.beforeGC.heapStatistics.usedHeapSize - used;
      used = gc.afterGC.heapStatistics.usedHeapSize;
      gcMs += gc.cost / 1000;
      if (gc.gcType === "Scavenge") survived.push(survivedBytes(gc));
    }
    (heapOf[name] ??= []).push({ bytes: bytes + end - used, gcMs, units: result.units, scavenges: survived.length, survived: survived.length ? median(survived) : 0 });
    return result;
  };
}

/**
 * Median heap allocation (kB) and garbage collection (µs) per unit of a run, scavenges per run and the young
 * bytes each kept (kB), over the timed rounds (the warm-up's dropped).
 */
function heapPerUnit(name: string) {
  const runs = heapOf[name]!.slice(1);
  return {
    kB: median(runs.map((r) => r.bytes / r.units / 1024)),
    gcMicros: median(runs.map((r) => (1000 * r.gcMs) / r.units)),
    collections: median(runs.map((r) => r.scavenges)),
    survivedKB: median(runs.map((r) => r.survived / 1024)),
  };
}

function heapLine(name: string): string {
  const { kB, gcMicros, collections, survivedKB } = heapPerUnit(name);
  return `${kB.toFixed(1)} kB allocated, ${gcMicros.toFixed(0)} µs in garbage-collection pauses, ${collections} scavenges per run keeping ${survivedKB.toFixed(0)} kB of young objects each`;
}

/** Pack files the response cache wrote in each run with the cache (answers finishing together share one). */
const packsPerRun: number[] = [];

/** `acc teach` as the command runs it, with a fresh cache (or none) and output folder. */
async function teachLoad(url: string, input: string, count: number, cache = true) {
  const out = mkdtempSync(join(work, "run-"));
  const client = createClient({ endpoint: url, concurrency: IN_FLIGHT, ...(cache ? { cacheDir: join(out, "cache") } : {}) });
  const { value: stats, seconds, cpu } = await clock(() =>
    teachRun({
      input,
      outDir: out,
      client,
      endpoint: url,
      setup: { model: "bench", candidates: 2, seed: 0, keepAll: false },
      verify: DEFAULT_VERIFY_SETUP,
      concurrency: IN_FLIGHT,
    }),
  );
  await client.close();
  if (stats.data.kept_samples !== count) throw new Error(`kept ${stats.data.kept_samples} of ${count}`);
  if (cache) packsPerRun.push(readdirSync(join(out, "cache")).length);
  return { rate: count / seconds, units: count, cpu };
}

/**
 * CPU µs per sample of the work no implementation of teach can skip, on this thread: parse and check the
 * input line, build the request body, parse the answer, serialise the kept sample and its outcome; and
 * what the response cache adds (the canonical body and its sha256, the entry line as the cache writes it).
 * The raw client does none of it (its bodies are built before the clock starts, its answers are not read).
 * With and without the cache alternate over FLOOR_ROUNDS rounds and the cache's share is the median of the
 * rounds' differences: a single pass of each, taken a second apart on a shared machine, differs by more
 * than the share itself (an earlier single-pass floor put it at 35–54 µs).
 */
function floorMicros(lines: string[], url: string): { total: number; cache: number } {
  const reply = JSON.stringify(completionBody(answer({ messages: [{ content: "Question: What does item 1 cost?" }] }), { model: "bench", messages: [] }, "chatcmpl-0", 0));
  const cpu = (work: (line: string) => void) => cpuMicrosPerItem(lines, work);
  const teach = (line: string, cache: boolean) => {
    const checked = validateFast(Sample, JSON.parse(line));
    if (!checked.ok) throw new Error("invalid bench sample");
    const kept = checked.value;
    const request = requestBody({ model: "bench", messages: teacherMessages(kept), seed: candidateSeed(0, kept.id, 0) }, false);
    const body = cache ? canonicalJson(request) : JSON.stringify(request);
    const key = cache ? keyOfBody(url, body) : "";
    const raw = JSON.parse(reply) as unknown;
    const result = parseCompletion(raw);
    // the entry as the cache builds it (field by field, then the line)
    if (cache) JSON.stringify({ key, version: "acc-llm-cache/2", result: { content: result.content, reasoning: result.reasoning, tool_calls: result.tool_calls, finish_reason: result.finish_reason, usage: result.usage, model: result.model, raw } });
    JSON.stringify(kept);
    JSON.stringify({ sample_id: kept.id, domain: kept.meta.domain, line: 1, outcome: "kept", reason: "qa-match", detail: "candidate 0: matched", reference: "qa:ground_truth", candidates: 1, kept: [0], prompt_tokens: 0, completion_tokens: 0 });
  };
  const withCache: number[] = [];
  const without: number[] = [];
  for (let round = 0; round < FLOOR_ROUNDS; round++) {
    withCache.push(cpu((line) => teach(line, true)));
    without.push(cpu((line) => teach(line, false)));
  }
  return { total: median(withCache), cache: median(withCache.map((micros, round) => micros - without[round]!)) };
}

try {
  const samples = Array.from({ length: SAMPLES }, (_, i) => sample(i + 1));
  const input = join(work, "samples.jsonl");
  writeFileSync(input, samples.map((s) => `${JSON.stringify(s)}\n`).join(""));
  // the same bytes teach sends: its prompt, the model, the candidate's seed
  const bodies = samples.map((s) => JSON.stringify({ model: "bench", messages: teacherMessages(s), seed: candidateSeed(0, s.id, 0) }));
  const server = await startOpenAIServer((req) => answer(req.body), { record: false });
  try {
    const loadBefore = load();
    const raw = withHeap("raw", async () => ({ rate: await rawLoad(server.url, bodies, IN_FLIGHT), units: SAMPLES }));
    const teach = withHeap("teach", () => teachLoad(server.url, input, SAMPLES));
    const chars = Math.round(samples.reduce((n, s) => n + s.messages[0]!.content.length, 0) / SAMPLES);
    if (!FLAGGED_PASS) {
      const results = await interleavedRounds({ raw, teach }, DEFAULT_ROUNDS);
      console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after the rounds`);
      console.log(`pass 1 of 2, V8's default young generation on both sides: ${SAMPLES} samples (prompts of ~${chars} chars), ${IN_FLIGHT} in flight, ${DEFAULT_ROUNDS} interleaved rounds (medians):`);
      console.log(comparisonLine("raw undici (Pool.dispatch)", "req", results.raw, results.raw));
      console.log(comparisonLine("acc teach", "sample", results.teach, results.raw));
      console.log(`  per request/sample, V8's GC profiler: raw ${heapLine("raw")}; acc teach ${heapLine("teach")}`);
      await runFlaggedPass({ raw: passMedians(results.raw), acc: passMedians(results.teach) });
    } else {
      await flaggedPass(raw, teach, chars, samples, loadBefore, server.url, input);
    }
  } finally {
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The flagged pass: the rounds with --no-cache too, the two passes compared, heap figures, the floor. */
async function flaggedPass(raw: Run, teach: Run, chars: number, samples: SampleRecord[], loadBefore: string, url: string, input: string): Promise<void> {
  const results = await interleavedRounds({ raw, teach, "teach --no-cache": withHeap("teach --no-cache", () => teachLoad(url, input, SAMPLES, false)) }, ROUNDS);
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after the rounds`);
  console.log(`pass 2 of 2, both sides in a node started with --max-semi-space-size=64 (acc as \`acc teach\` runs it; the raw client given it too):`);
  console.log(`${SAMPLES} samples (prompts of ~${chars} chars), ${IN_FLIGHT} in flight, server answering at once, ${ROUNDS} interleaved rounds (medians):`);
  console.log(comparisonLine("raw undici (Pool.dispatch)", "req", results.raw, results.raw));
  console.log(comparisonLine("acc teach", "sample", results.teach, results.raw));
  console.log(comparisonLine("acc teach --no-cache", "sample", results["teach --no-cache"], results.raw));
  console.log(`  target: acc teach >= 0.8x the raw client (wall); ratios are medians of per-round ratios`);
  for (const line of passLines("sample", { raw: passMedians(results.raw), acc: passMedians(results.teach) })) console.log(line);
  console.log(`  per request/sample, the whole process (server included; V8's GC profiler, medians): raw ${heapLine("raw")}; acc teach ${heapLine("teach")}; --no-cache ${heapLine("teach --no-cache")}`);
  const floor = floorMicros(samples.map((s) => JSON.stringify(s)), url);
  const rawCpu = median(results.raw.map((r) => r.cpuMicros));
  console.log(`  floor, the work any teach must do per sample beyond the raw client (parse and check the input line, build the request, parse the answer, serialise the kept sample and its outcome; with the cache also hash the canonical body and serialise the entry), measured alone on one thread:`);
  console.log(`    ${floor.total.toFixed(0)} µs CPU with the cache (the hash and entry ${floor.cache.toFixed(0)} µs of it), ${(floor.total - floor.cache).toFixed(0)} µs without = ${((100 * floor.total) / rawCpu).toFixed(0)}% of the raw client's ${rawCpu.toFixed(0)} µs CPU per request`);
  const packs = median(packsPerRun);
  console.log(`    the cache's writes: ${packs} pack files per run of ${SAMPLES} answers (${(SAMPLES / packs).toFixed(0)} answers each, median), each written whole then renamed, on libuv's threads`);
  console.log(`    so no teach passes ${(rawCpu / (rawCpu + floor.total)).toFixed(2)}x with the cache, ${(rawCpu / (rawCpu + floor.total - floor.cache)).toFixed(2)}x without (CPU-bound, before verifying or writing anything); acc teach spends ${(median(results.teach.map((r) => r.cpuMicros)) - rawCpu - floor.total).toFixed(0)} µs CPU per sample beyond that floor`);
}
