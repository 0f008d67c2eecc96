// npm run bench:eval [-- --requests 8000]
// 1. Requests/s of the eval runner (acc's client, o200k counting for bins on a worker thread started with the
//    run as `acc eval` starts it, so its start is timed, grading, the results journal, the final ordered
//    results, summary and report; also, apart, with the worker started before the clock) against the in-process
//    OpenAI-compatible server answering at once, 256 in flight, against the raw client (bench/common.ts
//    rawLoad: undici Pool.dispatch, the same request bodies built before the clock starts, the same server
//    and in-flight count): a warm-up round, then 5 interleaved rounds; ratios are medians of per-round
//    ratios. Target >= 0.8x by wall and CPU. acc's client alone on the same requests shows where the
//    difference goes. Per request: µs of overhead (wall and CPU), CPU of the main thread and of the others
//    (the counting worker), and bytes allocated on the main thread (one more run each under V8's sampling
//    heap profiler). Then the work any eval runner must do per item that the raw client does not (build
//    the request body, parse the answer, count the prompt's o200k tokens, grade, write the result line),
//    measured alone on this thread on prompts it has not seen, and the o200k codec every run builds once:
//    the ceiling they set on the ratio.
// 2. Grading throughput of the SequenceMatcher port against Python's difflib on the same MRCR pairs
//    (CPU time of each, so other load on the machine does not skew the ratio).
// The request rounds run twice (bench/common.ts FLAGGED_PASS): first 3 rounds of the raw client and the runner
// with V8's default young generation, then everything above in a node started with --max-semi-space-size=64,
// as `acc eval` runs (src/cli/relaunch.ts), the raw client in it too; the two passes are compared at the end.
// All of acc's code comes from dist/ (built first).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { allocatedBytes, build, clock, comparisonLine, FLAGGED_PASS, fromDist, interleavedRounds, mainThreadCpuMicros, median, passLines, passMedians, rawLoad, type RoundResult, runFlaggedPass } from "./common.js";

build();
const { sequenceMatcherRatio } = await fromDist<typeof import("../src/evals/difflib.js")>("evals/difflib.js");
const { generateGraphwalks } = await fromDist<typeof import("../src/evals/generate-graphwalks.js")>("evals/generate-graphwalks.js");
const { generateMrcr } = await fromDist<typeof import("../src/evals/generate-mrcr.js")>("evals/generate-mrcr.js");
const { graphwalksEval } = await fromDist<typeof import("../src/evals/graphwalks.js")>("evals/graphwalks.js");
const { runEval } = await fromDist<typeof import("../src/evals/runner.js")>("evals/runner.js");
const { countTokens, o200k, workerCounter } = await fromDist<typeof import("../src/evals/tokens.js")>("evals/tokens.js");
const { loadOpenAiEncoding } = await fromDist<typeof import("../src/tokenize/openai.js")>("tokenize/openai.js");
const { createClient } = await fromDist<typeof import("../src/llm/client.js")>("llm/client.js");
const { parseCompletion } = await fromDist<typeof import("../src/llm/response.js")>("llm/response.js");
const { startOpenAIServer } = await fromDist<typeof import("../src/testing/openai-server.js")>("testing/openai-server.js");
const { completionBody } = await fromDist<typeof import("../src/testing/replies.js")>("testing/replies.js");
const { Random } = await fromDist<typeof import("../src/random.js")>("random.js");

const IN_FLIGHT = 256;
const requestsArg = process.argv.indexOf("--requests");
const REQUESTS = requestsArg > 0 ? Number(process.argv[requestsArg + 1]) : 8000;
const ROUNDS = 5;
/** Rounds of the shorter pass with V8's default young generation (bench/common.ts FLAGGED_PASS). */
const DEFAULT_ROUNDS = 3;
const FLOOR_ROUNDS = 3;
const FLOOR_ITEMS = 2000;
const WARM_UP_ITEMS = 4000;
const work = mkdtempSync(join(tmpdir(), "acc-bench-eval-"));


/**
 * The runner as `acc eval` runs it: evaluate() starts a counting worker for the run, so the worker's start (a
 * new thread, its modules, the o200k codec it builds) is in the clock and the CPU. With `warmCounter` the
 * worker is started and has counted once before the clock, as this bench measured until session 9.
 */
async function runnerLoad(url: string, items: Item[], warmCounter = false) {
  const client = createClient({ endpoint: url, concurrency: IN_FLIGHT });
  const outDir = mkdtempSync(join(work, "run-"));
  let tokens: ReturnType<typeof workerCounter> | undefined;
  if (warmCounter) {
    tokens = workerCounter();
    await tokens.count(["warm up"]);
  }
  const { value, seconds, cpu, mainCpu } = await clock(async () => {
    const counter = tokens ?? workerCounter();
    try {
      return await runEval({ kind: graphwalksEval(), items, outDir, answers: { client, model: "bench" }, concurrency: IN_FLIGHT, tokens: counter });
    } finally {
      await counter.close();
    }
  });
  await client.close();
  if (value.summary.counts.graded !== items.length) throw new Error(`graded ${value.summary.counts.graded} of ${items.length}`);
  return { rate: items.length / seconds, units: items.length, cpu, mainCpu };
}

/** The LLM client alone (no counting, grading or journal) on the same bodies. */
async function clientLoad(url: string, items: Item[]): Promise<number> {
  const client = createClient({ endpoint: url, concurrency: IN_FLIGHT });
  const kind = graphwalksEval();
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < items.length) await client.chat({ model: "bench", messages: kind.messages(items[next++]!) });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await client.close();
  return items.length / seconds;
}

type Item = ReturnType<typeof graphwalksItems>[number];

/** CPU µs per item any eval runner must spend beyond the raw client (`counting` of it), and ms once per run (the codec). */
interface Floor {
  total: number;
  counting: number;
  codecMs: number;
}

/**
 * CPU µs per item of what any eval runner must do that the raw client does not, on this thread: build the
 * request body, parse the answer and read its message, count the prompt's o200k tokens (the bins), grade,
 * serialise the result line. `counting` is that share alone. Every pass counts prompts it has not seen
 * (the runs count each prompt once; a prompt counted again is mostly remembered lines, far cheaper).
 */
async function floorMicros(): Promise<Floor> {
  const tokenizer = await o200k();
  const kind = graphwalksEval();
  const answer = JSON.stringify(completionBody({ type: "answer", content: "Final Answer: [cfcd208495]" }, { model: "bench", messages: [] }, "chatcmpl-0", 0));
  const fresh = (name: string) => [...generateGraphwalks({ seed: name, promptChars: [1700], perSize: FLOOR_ITEMS / 2 })];
  const cpu = (name: string, work: (item: Item) => void) => {
    for (const item of fresh(`${name}-warm-up`).slice(0, 200)) work(item);
    const items = fresh(name);
    const start = process.cpuUsage();
    for (const item of items) work(item);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / items.length;
  };
  const counting: number[] = [];
  const total: number[] = [];
  // alternated, medians: single passes taken moments apart on a shared machine differ by more than the counting's share
  for (let round = 0; round < FLOOR_ROUNDS; round++) {
    counting.push(cpu(`counting-${round}`, (item) => countTokens(tokenizer, kind.contextTexts(item))));
    total.push(
      cpu(`total-${round}`, (item) => {
        JSON.stringify({ model: "bench", messages: kind.messages(item), stream: false });
        const response = parseCompletion(JSON.parse(answer)).content ?? "";
        const tokens = countTokens(tokenizer, kind.contextTexts(item));
        const { score, detail } = kind.grade(item, response);
        JSON.stringify({ id: item.id, group: kind.group(item), tokens, bin: "<4k", score, detail, response });
      }),
    );
  }
  return { total: median(total), counting: median(counting), codecMs: await codecBuildMs() };
}

/**
 * CPU ms of building the o200k_base codec on this thread (median of FLOOR_ROUNDS builds; tiktoken's
 * WebAssembly is compiled already): every run that counts must build one, once.
 */
async function codecBuildMs(): Promise<number> {
  const builds: number[] = [];
  for (let round = 0; round < FLOOR_ROUNDS; round++) {
    const start = process.cpuUsage();
    const tokenizer = await loadOpenAiEncoding("o200k_base");
    const used = process.cpuUsage(start);
    if (tokenizer.count("warm up") !== 2) throw new Error("o200k_base counted 'warm up' wrong");
    builds.push((used.user + used.system) / 1000);
  }
  return median(builds);
}

/**
 * The counting worker's CPU (every thread but this one) per prompt, over WARM_UP_ITEMS prompts it has not
 * seen: a fresh worker that is the first of this process, as in every `acc eval` run, then a second fresh
 * one. V8 shares a process's compiled WebAssembly (tiktoken's BPE) between its threads, so the rounds'
 * workers, all after the first, start with code the first had to compile and tier up.
 */
async function counterWarmUp(): Promise<{ first: number; second: number }> {
  const kind = graphwalksEval();
  const once = async (name: string) => {
    const texts = [...generateGraphwalks({ seed: name, promptChars: [1700], perSize: WARM_UP_ITEMS / 2 })].map((item) => kind.contextTexts(item));
    const counter = workerCounter();
    await counter.count(["warm up"]);
    const cpu = process.cpuUsage();
    const main = mainThreadCpuMicros();
    // 256 at a time, as the runner asks
    for (let i = 0; i < texts.length; i += IN_FLIGHT) await Promise.all(texts.slice(i, i + IN_FLIGHT).map((t) => counter.count(t)));
    const used = process.cpuUsage(cpu);
    const others = used.user + used.system - (mainThreadCpuMicros() - main);
    await counter.close();
    return others / texts.length;
  };
  return { first: await once("warm-up-first"), second: await once("warm-up-second") };
}

function graphwalksItems(count: number) {
  return [...generateGraphwalks({ seed: "bench", promptChars: [1700], perSize: Math.ceil(count / 2) })].slice(0, count);
}

interface Measured {
  results: Record<"raw" | "runner", RoundResult[]> & { client?: RoundResult[]; warmCounter?: RoundResult[] };
  allocated?: Record<"raw" | "runner" | "client", number>;
  floor?: Floor;
  warmUp?: { first: number; second: number };
}

async function requestRates(): Promise<Measured> {
  // before anything else counts in this process: its first worker is the one `acc eval` has
  const warmUp = FLAGGED_PASS ? await counterWarmUp() : undefined;
  const items = graphwalksItems(REQUESTS);
  const kind = graphwalksEval();
  const bodies = items.map((item) => JSON.stringify({ model: "bench", messages: kind.messages(item), stream: false }));
  const server = await startOpenAIServer(() => ({ type: "answer", content: "Final Answer: [cfcd208495]" }), { record: false });
  await o200k();
  try {
    const raw = async () => ({ rate: await rawLoad(server.url, bodies, IN_FLIGHT), units: items.length });
    const runner = () => runnerLoad(server.url, items);
    if (!FLAGGED_PASS) return { results: await interleavedRounds({ raw, runner }, DEFAULT_ROUNDS) };
    const runs = {
      raw,
      runner,
      warmCounter: () => runnerLoad(server.url, items, true),
      client: async () => ({ rate: await clientLoad(server.url, items), units: items.length }),
    };
    const results = await interleavedRounds(runs, ROUNDS);
    // one more run of each under the heap profiler (it slows them, so apart from the timed rounds)
    const allocated = { raw: 0, runner: 0, client: 0 };
    for (const name of ["raw", "runner", "client"] as const) allocated[name] = (await allocatedBytes(runs[name])) / items.length;
    return { results, allocated, floor: await floorMicros(), warmUp: warmUp! };
  } finally {
    await server.close();
  }
}

const PYTHON_TIMING = `
import difflib, json, sys, time
pairs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
rounds = int(sys.argv[2])
start = time.process_time()
for _ in range(rounds):
    ratios = [difflib.SequenceMatcher(None, a, b).ratio() for a, b in pairs]
print(time.process_time() - start)
print(json.dumps(ratios))
`;

/** MRCR-like pairs: the gold against right, wrong-needle, cut and edited responses (prefix already removed). */
async function gradingPairs(): Promise<[string, string][]> {
  const tokenizer = await o200k();
  const random = new Random("bench", "grading-pairs");
  const pairs: [string, string][] = [];
  for (const item of generateMrcr({ seed: "bench", tokens: [6000], perSize: 10, needles: [4], tokenizer })) {
    const gold = item.answer.slice(item.random_string_to_prepend.length);
    const replies = item.messages.filter((m) => m.role === "assistant").map((m) => m.content);
    pairs.push([gold, gold], [random.pick(replies), gold], [gold.slice(0, gold.length / 2), gold], [gold.replaceAll(" the ", " a "), gold]);
  }
  return pairs;
}

async function gradingRates() {
  const pairs = await gradingPairs();
  const file = join(work, "pairs.jsonl");
  writeFileSync(file, `${pairs.map((pair) => JSON.stringify(pair)).join("\n")}\n`);
  const rounds = 10;
  const python = spawnSync("python3", ["-c", PYTHON_TIMING, file, String(rounds)], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (python.status !== 0) throw new Error(`python3 failed: ${python.stderr}`);
  const [secondsText, ratiosText] = python.stdout.trim().split("\n");
  const expected = JSON.parse(ratiosText!) as number[];
  let ratios = pairs.map(([a, b]) => sequenceMatcherRatio(a, b));
  const start = process.cpuUsage();
  for (let r = 0; r < rounds; r++) ratios = pairs.map(([a, b]) => sequenceMatcherRatio(a, b));
  const used = process.cpuUsage(start);
  const jsSeconds = (used.user + used.system) / 1e6;
  if (ratios.some((ratio, i) => ratio !== expected[i])) throw new Error("the port and Python disagree on a pair");
  const chars = pairs.reduce((sum, [a, b]) => sum + a.length + b.length, 0);
  return { pairs: pairs.length, meanChars: chars / pairs.length / 2, js: (rounds * pairs.length) / jsSeconds, python: (rounds * pairs.length) / Number(secondsText) };
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

try {
  const loadBefore = load();
  const measured = await requestRates();
  const { results } = measured;
  const raw = results.raw;
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after the request rounds`);
  if (!FLAGGED_PASS) {
    console.log(`pass 1 of 2, V8's default young generation on both sides: ${REQUESTS} requests at ${IN_FLIGHT} in flight, ${DEFAULT_ROUNDS} interleaved rounds (medians):`);
    console.log(comparisonLine("raw undici (Pool.dispatch)", "req", raw, raw));
    console.log(comparisonLine("acc eval runner", "req", results.runner, raw));
    await runFlaggedPass({ raw: passMedians(raw), acc: passMedians(results.runner) });
  } else {
    flaggedReport(measured as Required<typeof measured>);
    const grading = await gradingRates();
    console.log(`grading, ${grading.pairs} MRCR pairs (mean ${grading.meanChars.toFixed(0)} chars a side), same ratios in both, CPU time:`);
    console.log(`  Python difflib                ${grading.python.toFixed(0)} pairs/s`);
    console.log(`  SequenceMatcher port          ${grading.js.toFixed(0)} pairs/s`);
    console.log(`  ratio port / Python           ${(grading.js / grading.python).toFixed(1)}x`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The flagged pass's figures: the rounds, the two passes compared, per-request CPU and allocation, the floor. */
function flaggedReport({ results, allocated, floor, warmUp }: Required<Measured>): void {
  const raw = results.raw;
  console.log(`pass 2 of 2, both sides in a node started with --max-semi-space-size=64 (acc as \`acc eval\` runs it; the raw client given it too):`);
  console.log(`requests at ${IN_FLIGHT} in flight, ${REQUESTS} requests (GraphWalks prompts of ~1.7k chars), server answering at once, ${ROUNDS} interleaved rounds (medians):`);
  console.log(comparisonLine("raw undici (Pool.dispatch)", "req", raw, raw));
  console.log(comparisonLine("acc eval runner", "req", results.runner, raw));
  console.log(comparisonLine("runner, worker warm before", "req", results.warmCounter!, raw));
  console.log(comparisonLine("acc client alone", "req", results.client!, raw));
  console.log(`  target: runner >= 0.8x the raw client, wall and CPU; ratios are medians of per-round ratios; CPU counts every thread (the server's too)`);
  const start = median(results.runner.map((r, i) => r.cpuMicros - results.warmCounter![i]!.cpuMicros));
  console.log(`  the counting worker's start (thread, modules, o200k codec), paid by every \`acc eval\` run: ${start.toFixed(0)} µs CPU a request, ${((start * REQUESTS) / 1000).toFixed(0)} ms a run (runner less "worker warm before", medians of per-round differences)`);
  for (const line of passLines("request", { raw: passMedians(raw), acc: passMedians(results.runner) })) console.log(line);
  console.log(`  per request, main thread / other threads (counting worker, GC helpers) CPU µs, and bytes allocated on the main thread (heap profiler, one more run each):`);
  for (const name of ["raw", "runner", "client"] as const) {
    const main = median(results[name]!.map((r) => r.mainCpuMicros));
    const all = median(results[name]!.map((r) => r.cpuMicros));
    console.log(`    ${name.padEnd(7)} ${main.toFixed(0).padStart(4)} / ${(all - main).toFixed(0).padStart(3)} µs CPU   ${(allocated[name] / 1024).toFixed(1).padStart(5)} kB allocated`);
  }
  const rawCpu = median(raw.map((r: RoundResult) => r.cpuMicros));
  console.log(`  work any eval runner must do per item beyond the raw client: ${floor.total.toFixed(0)} µs CPU (o200k counting of unseen prompts ${floor.counting.toFixed(0)} µs of it) = ${((100 * floor.total) / rawCpu).toFixed(0)}% of the raw client's CPU per request`);
  console.log(`  (so the CPU ratio cannot pass ${(rawCpu / (rawCpu + floor.total)).toFixed(2)}x; with counting on another free core, the wall ratio ${(rawCpu / (rawCpu + floor.total - floor.counting)).toFixed(2)}x)`);
  const codecMicros = (floor.codecMs * 1000) / REQUESTS;
  console.log(`  and once per run, building the o200k codec: ${floor.codecMs.toFixed(0)} ms CPU on this thread, ${codecMicros.toFixed(0)} µs a request at ${REQUESTS}: with it the CPU ratio cannot pass ${(rawCpu / (rawCpu + floor.total + codecMicros)).toFixed(2)}x`);
  const extraMs = ((warmUp.first - warmUp.second) * WARM_UP_ITEMS) / 1000;
  console.log(`  a fresh counting worker, ${WARM_UP_ITEMS} unseen prompts, CPU of the other threads per prompt: ${warmUp.first.toFixed(1)} µs as the first of its process (every \`acc eval\` run's), ${warmUp.second.toFixed(1)} µs as a second`);
  console.log(`  (the rounds' workers are later ones: \`acc eval\` pays ~${extraMs.toFixed(0)} ms of CPU more per run than they show, ${((extraMs * 1000) / REQUESTS).toFixed(1)} µs a request at ${REQUESTS})`);
}

