// npm run bench:eval [-- --requests 8000]
// 1. Requests/s of the eval runner (client, token counting for bins, grading, results journal) against the
//    local OpenAI-compatible server at 256 in flight, against a raw load generator (node:http, keep-alive
//    agent, 256 in flight, the same request bodies) on the same server in the same run: a warm-up round,
//    then 5 interleaved rounds; the ratio is the median of the ratios within each round. Target ≥ 0.9×.
// 2. Grading throughput of the SequenceMatcher port against Python's difflib on the same MRCR pairs
//    (CPU time of each, so other load on the machine does not skew the ratio).
import { interleavedRounds, median, medianRatio, rawLoad } from "./common.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sequenceMatcherRatio } from "../src/evals/difflib.js";
import { generateGraphwalks } from "../src/evals/generate-graphwalks.js";
import { generateMrcr } from "../src/evals/generate-mrcr.js";
import { graphwalksEval } from "../src/evals/graphwalks.js";
import { runEval } from "../src/evals/runner.js";
import { countTokens, o200k, workerCounter } from "../src/evals/tokens.js";
import { createClient } from "../src/llm/client.js";
import { startOpenAIServer } from "../src/testing/openai-server.js";
import { Random } from "../src/random.js";

const IN_FLIGHT = 256;
const requestsArg = process.argv.indexOf("--requests");
const REQUESTS = requestsArg > 0 ? Number(process.argv[requestsArg + 1]) : 8000;
const ROUNDS = 5;
const work = mkdtempSync(join(tmpdir(), "acc-bench-eval-"));


/** The runner as `acc eval` runs it: the client, o200k counting on worker threads, grading, the results journal. */
async function runnerLoad(url: string, items: ReturnType<typeof graphwalksItems>): Promise<number> {
  const client = createClient({ endpoint: url, concurrency: IN_FLIGHT });
  const tokens = workerCounter();
  await tokens.count(["warm up"]);
  const outDir = mkdtempSync(join(work, "run-"));
  const start = performance.now();
  const { summary } = await runEval({ kind: graphwalksEval(), items, outDir, answers: { client, model: "bench" }, concurrency: IN_FLIGHT, tokens });
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([client.close(), tokens.close()]);
  if (summary.counts.graded !== items.length) throw new Error(`graded ${summary.counts.graded} of ${items.length}`);
  return items.length / seconds;
}

/** The LLM client alone (no counting, grading or journal) on the same bodies. */
async function clientLoad(url: string, items: ReturnType<typeof graphwalksItems>): Promise<number> {
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

/** o200k_base counting of the same prompts on this thread. */
async function countRate(items: ReturnType<typeof graphwalksItems>): Promise<number> {
  const tokenizer = await o200k();
  const start = performance.now();
  for (const item of items) countTokens(tokenizer, [item.prompt]);
  return items.length / ((performance.now() - start) / 1000);
}

function graphwalksItems(count: number) {
  return [...generateGraphwalks({ seed: "bench", promptChars: [1700], perSize: Math.ceil(count / 2) })].slice(0, count);
}

async function requestRates() {
  const items = graphwalksItems(REQUESTS);
  const kind = graphwalksEval();
  const bodies = items.map((item) => JSON.stringify({ model: "bench", messages: kind.messages(item), stream: false }));
  const server = await startOpenAIServer(() => ({ type: "answer", content: "Final Answer: [cfcd208495]" }), { record: false });
  await o200k();
  try {
    const results = await interleavedRounds(
      {
        raw: async () => ({ rate: await rawLoad(server.url, bodies, IN_FLIGHT), units: items.length }),
        runner: async () => ({ rate: await runnerLoad(server.url, items), units: items.length }),
      },
      ROUNDS,
    );
    const rate = (name: keyof typeof results) => median(results[name].map((r) => r.rate));
    const client = await clientLoad(server.url, items);
    return { raw: rate("raw"), runner: rate("runner"), ratio: medianRatio(results.runner, results.raw, (r) => r.rate), client, counting: await countRate(items.slice(0, 2000)) };
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

try {
  const rates = await requestRates();
  console.log(`requests at ${IN_FLIGHT} in flight, ${REQUESTS} requests (GraphWalks prompts of ~1.7k chars), ${ROUNDS} interleaved rounds (medians):`);
  console.log(`  raw node:http load generator  ${rates.raw.toFixed(0)} req/s`);
  console.log(`  acc eval runner               ${rates.runner.toFixed(0)} req/s`);
  console.log(`  ratio runner / raw            ${rates.ratio.toFixed(2)}x (target >= 0.9x; median of per-round ratios)`);
  console.log(`  where the difference goes:    the client alone ${rates.client.toFixed(0)} req/s; o200k counting ${rates.counting.toFixed(0)} prompts/s per thread`);
  const grading = await gradingRates();
  console.log(`grading, ${grading.pairs} MRCR pairs (mean ${grading.meanChars.toFixed(0)} chars a side), same ratios in both, CPU time:`);
  console.log(`  Python difflib                ${grading.python.toFixed(0)} pairs/s`);
  console.log(`  SequenceMatcher port          ${grading.js.toFixed(0)} pairs/s`);
  console.log(`  ratio port / Python           ${(grading.js / grading.python).toFixed(1)}x`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
