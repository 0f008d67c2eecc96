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
// and the young bytes each kept and promoted. The flagged pass also runs teach with a stubbed client (no HTTP;
// answering at once, and holding each answer back as a server would) and acc's client alone, and splits the
// CPU beyond the floor into teach's own, the client's, and the two together (holding the samples in flight,
// and the rest). The floor's ceiling is given against the faster raw client too: the headline compares with it.
// Last, a workload where the server is the bottleneck, as a model is: 4,000 samples whose answers each come
// after a delay of their own with a long tail (delayOf), teach against the raw client by wall time.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { GCProfiler, getHeapStatistics } from "node:v8";
import type { ChatRequest, ChatResult, LlmClient } from "../src/llm/types.js";
import type { Sample as SampleRecord } from "../src/records/sample.js";
import { build, clock, comparisonLine, defaultPass, FLAGGED_PASS, fixedQuantile, fromDist, interleavedRounds, median, passLines, passMedians, rawLoad, runFlaggedPass } from "./common.js";

build();
const { keyOfBody, requestBody } = await fromDist<typeof import("../src/llm/cache.js")>("llm/cache.js");
const { createClient } = await fromDist<typeof import("../src/llm/client.js")>("llm/client.js");
const { parseCompletion } = await fromDist<typeof import("../src/llm/response.js")>("llm/response.js");
const { mapFinishReason } = await fromDist<typeof import("../src/llm/finish-reason.js")>("llm/finish-reason.js");
const { validateFast } = await fromDist<typeof import("../src/records/fast-validate.js")>("records/fast-validate.js");
const { Sample, SAMPLE_SCHEMA_VERSION } = await fromDist<typeof import("../src/records/sample.js")>("records/sample.js");
const { candidateSeed } = await fromDist<typeof import("../src/teach/candidates.js")>("teach/candidates.js");
const { teacherMessages } = await fromDist<typeof import("../src/teach/prompt.js")>("teach/prompt.js");
const { teachRun } = await fromDist<typeof import("../src/teach/run.js")>("teach/run.js");
const { withCleanup } = await fromDist<typeof import("../src/io/cleanup.js")>("io/cleanup.js");
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
  const item = itemOf(body);
  return { type: "answer" as const, content: `Final answer: ${3 * item} EUR`, reasoning: `Item ${item} costs ${3 * item} EUR on the list.` };
}

/** The bytes teach sends for a sample: its prompt, the model, the candidate's seed. */
function teachBody(sample: SampleRecord): string {
  return JSON.stringify({ model: "bench", messages: teacherMessages(sample), seed: candidateSeed(0, sample.id, 0) });
}

function itemOf(body: unknown): number {
  const messages = (body as { messages: { content: string }[] }).messages;
  return Number(/Question: What does item (\d+) cost\?$/.exec(messages.at(-1)!.content)?.[1]);
}

/** Samples and rounds of the workload whose answers take time. */
const SLOW_SAMPLES = 4000;
const SLOW_ROUNDS = 2;

/**
 * How long the teacher takes to answer an item, the same on both sides: a long tail, as generation
 * lengths have (a fixed quantile per item of a Pareto-like spread: median 19 ms, p90 79, p99 644, at most 3 s).
 */
function delayOf(item: number): number {
  return Math.min(3000, Math.round(10 * (1 - fixedQuantile(item)) ** -0.9));
}


const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

/** Per run: bytes the V8 heap allocated and ms of garbage-collection pauses (the whole process: server, client, acc). */
const heapOf: Record<string, { bytes: number; gcMs: number; units: number; scavenges: number; survived: number; promoted: number }[]> = {};

type Run = () => Promise<{ rate: number; units: number; cpu?: number }>;

const spaceUsed = (state: GcState, space: string) => state.heapSpaceStatistics.find((s) => s.spaceName === space)?.spaceUsedSize ?? 0;

/** Bytes of young objects a scavenge moved to the old generation. */
function promotedBytes(gc: { beforeGC: GcState; afterGC: GcState }): number {
  return spaceUsed(gc.afterGC, "old_space") - spaceUsed(gc.beforeGC, "old_space");
}

/** Bytes of young objects a scavenge kept: what stayed in the young generation plus what it promoted. */
function survivedBytes(gc: { beforeGC: GcState; afterGC: GcState }): number {
  return spaceUsed(gc.afterGC, "new_space") + promotedBytes(gc);
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
    let promoted = 0;
    for (const gc of statistics) {
      bytes += gc.beforeGC.heapStatistics.usedHeapSize - used;
      used = gc.afterGC.heapStatistics.usedHeapSize;
      gcMs += gc.cost / 1000;
      if (gc.gcType !== "Scavenge") continue;
      survived.push(survivedBytes(gc));
      promoted += promotedBytes(gc);
    }
    (heapOf[name] ??= []).push({ bytes: bytes + end - used, gcMs, units: result.units, scavenges: survived.length, survived: survived.length ? median(survived) : 0, promoted });
    return result;
  };
}

/**
 * Median heap allocation (kB) and garbage collection (µs) per unit of a run, scavenges per run, the young
 * bytes each kept (kB) and the bytes promoted per unit (kB), over the timed rounds (the warm-up's dropped).
 */
function heapPerUnit(name: string) {
  const runs = heapOf[name]!.slice(1);
  return {
    kB: median(runs.map((r) => r.bytes / r.units / 1024)),
    gcMicros: median(runs.map((r) => (1000 * r.gcMs) / r.units)),
    collections: median(runs.map((r) => r.scavenges)),
    survivedKB: median(runs.map((r) => r.survived / 1024)),
    promotedKB: median(runs.map((r) => r.promoted / r.units / 1024)),
  };
}

function heapLine(name: string): string {
  const { kB, gcMicros, collections, survivedKB, promotedKB } = heapPerUnit(name);
  return `${kB.toFixed(1)} kB allocated, ${promotedKB.toFixed(1)} kB promoted to the old generation, ${gcMicros.toFixed(0)} µs in garbage-collection pauses, ${collections} scavenges per run keeping ${survivedKB.toFixed(0)} kB of young objects each`;
}

/** `acc teach` as the command runs it, with a fresh cache (or none) and output folder. */
async function teachLoad(url: string, input: string, count: number, cache = true, stub?: LlmClient) {
  const out = mkdtempSync(join(work, "run-"));
  const client = stub ?? createClient({ endpoint: url, concurrency: IN_FLIGHT, ...(cache ? { cacheDir: join(out, "cache") } : {}) });
  // inside withCleanup, as the CLI runs every command (src/cli/program.ts)
  const { value: stats, seconds, cpu } = await clock(() =>
    withCleanup(() => teachRun({
      input,
      outDir: out,
      client,
      endpoint: url,
      setup: { model: "bench", candidates: 2, seed: 0, keepAll: false },
      verify: DEFAULT_VERIFY_SETUP,
      concurrency: IN_FLIGHT,
    })),
  );
  await client.close();
  if (stats.data.kept_samples !== count) throw new Error(`kept ${stats.data.kept_samples} of ${count}`);
  return { rate: count / seconds, units: count, cpu };
}

/** The server's reply to each request, by the request's seed (unique per sample): what the stubbed client answers. */
function repliesBySeed(samples: SampleRecord[]): Map<number, string> {
  return new Map(samples.map((s) => {
    const seed = candidateSeed(0, s.id, 0);
    return [seed, JSON.stringify(completionBody(answer({ messages: teacherMessages(s) }), { model: "bench", messages: [] }, `chatcmpl-${seed}`, 0))];
  }));
}

/**
 * A client answering in the same process with the reply the server would give: what a client must do with
 * an answer (parse it) and nothing else. At once, teach run with it is teach's own work, without HTTP, the
 * client's machinery or its cache, and without holding samples across a round trip. With `hold`, each answer
 * waits until `hold` more requests have been asked (the last ones until requests stop coming): teach then
 * holds as many samples across their "round trip" as with a server, in order, and still without HTTP.
 */
function stubClient(replies: Map<number, string>, hold = 0): LlmClient {
  const waiting: (() => void)[] = [];
  let asked = 0;
  let draining = false;
  // once a turn of the event loop passes without a request, the answers still held are given
  const drain = (askedBefore: number) => {
    draining = false;
    if (asked === askedBefore) for (const answer of waiting.splice(0)) answer();
    else watch();
  };
  const watch = () => {
    if (draining) return;
    draining = true;
    const askedBefore = asked;
    setImmediate(() => drain(askedBefore));
  };
  const later = (result: ChatResult): Promise<ChatResult> => {
    if (hold === 0) return Promise.resolve(result);
    return new Promise((resolve) => {
      waiting.push(() => resolve(result));
      asked++;
      if (waiting.length > hold) waiting.shift()!();
      watch();
    });
  };
  return {
    chat(request) {
      const raw = JSON.parse(replies.get(request.seed!)!) as unknown;
      const parsed = parseCompletion(raw);
      const finish = mapFinishReason(parsed.finish_reason);
      return later({ content: parsed.content, reasoning: parsed.reasoning, tool_calls: parsed.tool_calls, finish_reason: parsed.finish_reason, finish, usage: parsed.usage, model: parsed.model, cached: false, attempts: 1, raw });
    },
    stats: () => ({ requests: 0, cache_hits: 0, retries: 0, failures: 0, prompt_tokens: 0, completion_tokens: 0 }),
    close: () => Promise.resolve(),
  };
}

/** acc's client alone (cache on, a fresh one per run) sending teach's requests, `IN_FLIGHT` at a time, as rawLoad does. */
async function clientLoad(url: string, requests: ChatRequest[]) {
  const out = mkdtempSync(join(work, "client-"));
  const client = createClient({ endpoint: url, concurrency: IN_FLIGHT, cacheDir: join(out, "cache") });
  let next = 0;
  const { seconds, cpu } = await clock(() => Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < requests.length) await client.chat(requests[next++]!);
  })));
  await client.close();
  return { rate: requests.length / seconds, units: requests.length, cpu };
}

/** One part of the floor: CPU µs per sample of `work` over every sample, on this thread (after an untimed pass). */
function partMicros(count: number, work: () => void): number {
  work();
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

/** Output bytes gathered as the lines come, written to a file once per `every` lines (a file kept open). */
class Written {
  private readonly bytes = Buffer.allocUnsafe(16 << 20);
  private size = 0;
  private lines = 0;
  constructor(private readonly fd: number, private readonly every: number) {}
  line(text: string): void {
    this.size += this.bytes.write(text, this.size);
    this.bytes[this.size++] = 10;
    if (++this.lines % this.every === 0) this.flush();
  }
  flush(): void {
    writeSync(this.fd, this.bytes, 0, this.size);
    this.size = 0;
  }
}

/**
 * CPU µs per sample of the work no implementation of teach can skip that the raw client does not do (its
 * bodies are built before the clock starts, its answers are not read), each part measured alone on this
 * thread over every sample, then summed (the median of FLOOR_ROUNDS rounds): read the input file and split
 * its lines; parse and check each line; build the request and its JSON body (the plain JSON: teach builds
 * its requests in one key order, so a key on them needs no sorted copy); parse the answer and check it
 * against the sample's gold; serialise the kept sample and its outcome; write them to files opened once,
 * a write per 1,024 samples. With the cache, also: the body's sha256 key, and the entry (the key and the
 * reply as received) written before the answer is used, a write per IN_FLIGHT answers. acc's cache stores
 * the parsed answer field by field, and sorts the body's keys: an implementation need not, so the floor
 * does neither.
 */
function floorMicros(input: string, url: string, replies: Map<number, string>) {
  const lines = readFileSync(input, "utf8").split("\n").filter(Boolean);
  const kept = lines.map((line) => JSON.parse(line) as SampleRecord);
  const bodies = kept.map((s) => JSON.stringify(requestBody({ model: "bench", messages: teacherMessages(s), seed: candidateSeed(0, s.id, 0) }, false)));
  const replyTexts = kept.map((s) => replies.get(candidateSeed(0, s.id, 0))!);
  const keys = bodies.map((body) => keyOfBody(url, body));
  const outcome = (s: SampleRecord, line: number) => JSON.stringify({ sample_id: s.id, domain: s.meta.domain, line, outcome: "kept", reason: "qa-match", detail: "candidate 0: matched", reference: "qa:ground_truth", candidates: 1, kept: [0], prompt_tokens: 0, completion_tokens: 0 });
  const outLines = kept.flatMap((s, i) => [JSON.stringify(s), outcome(s, i + 1)]);
  const files = mkdtempSync(join(work, "floor-"));
  const n = lines.length;
  const parts = {
    "read and split the input": () => {
      const bytes = readFileSync(input);
      let start = 0;
      for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, start)) {
        bytes.toString("utf8", start, nl);
        start = nl + 1;
      }
    },
    "parse and check each line": () => {
      for (const line of lines) if (!validateFast(Sample, JSON.parse(line)).ok) throw new Error("invalid bench sample");
    },
    "build the request's body": () => {
      for (const s of kept) JSON.stringify(requestBody({ model: "bench", messages: teacherMessages(s), seed: candidateSeed(0, s.id, 0) }, false));
    },
    "parse and check the answer": () => {
      for (const [i, text] of replyTexts.entries()) {
        const content = parseCompletion(JSON.parse(text)).content ?? "";
        if (!content.endsWith(kept[i]!.meta.task.ground_truth as string)) throw new Error("wrong bench answer");
      }
    },
    "serialise the kept sample and outcome": () => {
      for (const [i, s] of kept.entries()) {
        JSON.stringify({ ...s, messages: s.messages, target: s.target });
        outcome(s, i + 1);
      }
    },
    "write the outputs": () => {
      const fd = openSync(join(files, "out.jsonl"), "w");
      const out = new Written(fd, 2 * 1024);
      for (const line of outLines) out.line(line);
      out.flush();
      closeSync(fd);
    },
    "cache: the body's sha256": () => {
      for (const body of bodies) keyOfBody(url, body);
    },
    "cache: write the entry": () => {
      const fd = openSync(join(files, "cache.jsonl"), "w");
      const out = new Written(fd, IN_FLIGHT);
      for (const [i, key] of keys.entries()) out.line(`${key} ${replyTexts[i]!}`);
      out.flush();
      closeSync(fd);
    },
  };
  const rounds: Record<string, number[]> = {};
  for (let round = 0; round < FLOOR_ROUNDS; round++) for (const [name, work] of Object.entries(parts)) (rounds[name] ??= []).push(partMicros(n, work));
  rmSync(files, { recursive: true, force: true });
  const each = Object.fromEntries(Object.entries(rounds).map(([name, micros]) => [name, median(micros)]));
  const sum = (names: string[]) => names.reduce((total, name) => total + each[name]!, 0);
  const names = Object.keys(each);
  const cacheParts = names.filter((name) => name.startsWith("cache:"));
  return {
    each,
    total: sum(names),
    cache: sum(cacheParts),
    /** What teach run with the stubbed client does of the floor (the client's parts are the body, the key and the entry). */
    teachSide: sum(["read and split the input", "parse and check each line", "parse and check the answer", "serialise the kept sample and outcome", "write the outputs"]),
    clientSide: sum(["build the request's body", ...cacheParts]),
  };
}

try {
  const samples = Array.from({ length: SAMPLES }, (_, i) => sample(i + 1));
  const input = join(work, "samples.jsonl");
  writeFileSync(input, samples.map((s) => `${JSON.stringify(s)}\n`).join(""));
  const bodies = samples.map(teachBody);
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

/**
 * The flagged pass: the rounds with --no-cache too, and the two runs the gap's breakdown needs (teach with a
 * stubbed client; acc's client alone), the two passes compared, heap figures, the floor and the gap.
 */
async function flaggedPass(raw: Run, teach: Run, chars: number, samples: SampleRecord[], loadBefore: string, url: string, input: string): Promise<void> {
  const replies = repliesBySeed(samples);
  const requests: ChatRequest[] = samples.map((s) => ({ model: "bench", messages: teacherMessages(s), seed: candidateSeed(0, s.id, 0) }));
  const results = await interleavedRounds(
    {
      raw,
      teach,
      "teach --no-cache": withHeap("teach --no-cache", () => teachLoad(url, input, SAMPLES, false)),
      "teach, client stubbed": () => teachLoad(url, input, SAMPLES, false, stubClient(replies)),
      // answers held back: the orderedMap window (IN_FLIGHT samples) stays full, as with a server
      "teach, client stubbed, answers held": () => teachLoad(url, input, SAMPLES, false, stubClient(replies, IN_FLIGHT - 1)),
      "acc's client alone": () => clientLoad(url, requests),
    },
    ROUNDS,
  );
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after the rounds`);
  console.log(`pass 2 of 2, both sides in a node started with --max-semi-space-size=64 (acc as \`acc teach\` runs it; the raw client given it too):`);
  console.log(`${SAMPLES} samples (prompts of ~${chars} chars), ${IN_FLIGHT} in flight, server answering at once, ${ROUNDS} interleaved rounds (medians):`);
  console.log(comparisonLine("raw undici (Pool.dispatch)", "req", results.raw, results.raw));
  console.log(comparisonLine("acc teach", "sample", results.teach, results.raw));
  console.log(comparisonLine("acc teach --no-cache", "sample", results["teach --no-cache"], results.raw));
  console.log(comparisonLine("acc's client alone (cache)", "req", results["acc's client alone"], results.raw));
  console.log(`  target: acc teach >= 0.8x the raw client (wall); ratios are medians of per-round ratios`);
  for (const line of passLines("sample", { raw: passMedians(results.raw), acc: passMedians(results.teach) })) console.log(line);
  console.log(`  per request/sample, the whole process (server included; V8's GC profiler, medians): raw ${heapLine("raw")}; acc teach ${heapLine("teach")}; --no-cache ${heapLine("teach --no-cache")}`);
  const floor = floorMicros(input, url, replies);
  const cpuOf = (name: keyof typeof results) => median(results[name].map((r) => r.cpuMicros));
  const rawCpu = cpuOf("raw");
  console.log(`  floor, the work any teach must do per sample beyond the raw client, each part measured alone on one thread (medians of ${FLOOR_ROUNDS} rounds):`);
  for (const [name, micros] of Object.entries(floor.each)) console.log(`    ${name.padEnd(40)} ${micros.toFixed(1).padStart(5)} µs`);
  console.log(`    ${floor.total.toFixed(0)} µs CPU with the cache (${floor.cache.toFixed(0)} µs of it the cache's), ${(floor.total - floor.cache).toFixed(0)} µs without = ${((100 * floor.total) / rawCpu).toFixed(0)}% of the raw client's ${rawCpu.toFixed(0)} µs CPU per request`);
  const beyond = cpuOf("teach") - rawCpu - floor.total;
  console.log(`    so no teach passes ${(rawCpu / (rawCpu + floor.total)).toFixed(2)}x with the cache, ${(rawCpu / (rawCpu + floor.total - floor.cache)).toFixed(2)}x without, against the raw client of this pass (CPU-bound); acc teach spends ${beyond.toFixed(0)} µs CPU per sample beyond that floor`);
  // the headline compares acc as the CLI runs it with the faster raw client, so its ceiling does too
  const fasterRaw = Math.min(rawCpu, defaultPass().raw.cpuMicros);
  const fasterLabel = fasterRaw === rawCpu ? "this pass's" : "V8's default young generation's";
  console.log(`    against the faster raw client (${fasterLabel}, ${fasterRaw.toFixed(0)} µs CPU a request): no teach passes ${(fasterRaw / (fasterRaw + floor.total)).toFixed(2)}x with the cache, ${(fasterRaw / (fasterRaw + floor.total - floor.cache)).toFixed(2)}x without`);
  // the gap beyond the floor, split (medians of each run, so the parts need not add up exactly): teach's own
  // work, the client's (against the raw client, same requests), and what running them together adds
  const teachOwn = cpuOf("teach, client stubbed") - floor.teachSide;
  const clientOwn = median(results["acc's client alone"].map((r, round) => r.cpuMicros - results.raw[round]!.cpuMicros)) - floor.clientSide;
  console.log(`  where the ${beyond.toFixed(0)} µs beyond the floor go (CPU per sample; medians of separate runs, so the parts add up only roughly):`);
  console.log(`    teach's own work beyond its floor parts  ${teachOwn.toFixed(0).padStart(4)} µs  (teach with a stubbed client: ${cpuOf("teach, client stubbed").toFixed(0)} µs a sample, its floor parts ${floor.teachSide.toFixed(0)}; the rest is qa verification, the stage and reader, the stats, checkpoints, each run's set-up)`);
  console.log(`    acc's client beyond its floor parts      ${clientOwn.toFixed(0).padStart(4)} µs  (the client alone against the raw client: ${(clientOwn + floor.clientSide).toFixed(0)} µs a request, its floor parts ${floor.clientSide.toFixed(0)}; the rest is its machinery against the raw client's)`);
  const rest = beyond - teachOwn - clientOwn;
  const holding = cpuOf("teach, client stubbed, answers held") - cpuOf("teach, client stubbed");
  console.log(`    the rest: teach and the client together  ${rest.toFixed(0).padStart(4)} µs  (what the two alone do not show), of which:`);
  console.log(`      holding ${IN_FLIGHT} samples across their round trip  ${holding.toFixed(0).padStart(4)} µs  (teach with the stubbed client holding each answer back until ${IN_FLIGHT - 1} more requests are asked: ${cpuOf("teach, client stubbed, answers held").toFixed(0)} µs a sample)`);
  console.log(`      teach's work among the HTTP exchanges  ${(rest - holding).toFixed(0).padStart(4)} µs  (the remainder: each sample's work runs between the exchanges of ${IN_FLIGHT} others, the server's included; not split further)`);
  await slowAnswers(samples);
}

/**
 * Answers that take time, with a long tail (delayOf): what the rate comes to when the server is the
 * bottleneck, as a model is, and one slow answer must not hold back the requests behind it.
 */
async function slowAnswers(samples: SampleRecord[]): Promise<void> {
  const some = samples.slice(0, SLOW_SAMPLES);
  const input = join(work, "slow-samples.jsonl");
  writeFileSync(input, some.map((s) => `${JSON.stringify(s)}\n`).join(""));
  const bodies = some.map(teachBody);
  const delays = some.map((_, i) => delayOf(i + 1)).sort((a, b) => a - b);
  const at = (q: number) => delays[Math.floor(q * (delays.length - 1))]!;
  const total = delays.reduce((sum, ms) => sum + ms, 0);
  const server = await startOpenAIServer((req) => ({ ...answer(req.body), delayMs: delayOf(itemOf(req.body)) }), { record: false });
  try {
    const results = await interleavedRounds(
      {
        raw: async () => ({ rate: await rawLoad(server.url, bodies, IN_FLIGHT), units: SLOW_SAMPLES }),
        teach: () => teachLoad(server.url, input, SLOW_SAMPLES),
      },
      SLOW_ROUNDS,
    );
    console.log(`answers taking time: ${SLOW_SAMPLES} samples, each answered after a delay of its own (median ${at(0.5)} ms, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)}; ${(total / 1000).toFixed(0)} s in all, ${(total / IN_FLIGHT / 1000).toFixed(1)} s spread over ${IN_FLIGHT} in flight), ${SLOW_ROUNDS} interleaved rounds (medians):`);
    console.log(comparisonLine("raw undici (Pool.dispatch)", "req", results.raw, results.raw));
    console.log(comparisonLine("acc teach", "sample", results.teach, results.raw));
  } finally {
    await server.close();
  }
}
