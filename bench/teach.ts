// npm run bench:teach [-- --samples 8000]
// Samples/s of `acc teach` (reading and validating samples, the client with its disk cache, answer
// parsing, QA verification, ordered outputs with checkpoints) against the local OpenAI-compatible server
// answering at once, 256 in flight, against a raw load generator (node:http, keep-alive agent, 256 in
// flight, the same request bodies, built before the clock starts) on the same server in the same run.
// Target >= 0.9x. The server shares the process, as in bench:eval, so the rates are CPU-bound: CPU time
// per sample (all threads, server included) is printed too; it is far steadier than wall time on a
// shared machine. `teach --no-cache` shows what the response cache (free resumes) costs. A warm-up round,
// then 5 interleaved rounds; the ratios are medians of the ratios within each round, which a machine
// whose speed drifts (as this shared one does, by up to 30% between runs) leaves far steadier.
import { interleavedRounds, median, medianRatio, rawLoad } from "./common.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson, keyOfBody, requestBody } from "../src/llm/cache.js";
import { createClient } from "../src/llm/client.js";
import { validateFast } from "../src/records/fast-validate.js";
import { Sample, SAMPLE_SCHEMA_VERSION } from "../src/records/sample.js";
import { candidateSeed } from "../src/teach/candidates.js";
import { teacherMessages } from "../src/teach/prompt.js";
import { teachRun } from "../src/teach/run.js";
import { startOpenAIServer } from "../src/testing/openai-server.js";
import { DEFAULT_VERIFY_SETUP } from "../src/verify/index.js";

const IN_FLIGHT = 256;
const samplesArg = process.argv.indexOf("--samples");
const SAMPLES = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 8000;
const ROUNDS = 5;
const work = mkdtempSync(join(tmpdir(), "acc-bench-teach-"));

/** A compiled search sample of ~1.7k characters whose gold is `${3i} EUR`. */
function sample(i: number): Sample {
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


/** `acc teach` as the command runs it, with a fresh cache (or none) and output folder. */
async function teachLoad(url: string, input: string, count: number, cache = true): Promise<number> {
  const out = mkdtempSync(join(work, "run-"));
  const client = createClient({ endpoint: url, concurrency: IN_FLIGHT, ...(cache ? { cacheDir: join(out, "cache") } : {}) });
  const start = performance.now();
  const stats = await teachRun({
    input,
    outDir: out,
    client,
    endpoint: url,
    setup: { model: "bench", candidates: 2, seed: 0, keepAll: false },
    verify: DEFAULT_VERIFY_SETUP,
    concurrency: IN_FLIGHT,
  });
  const seconds = (performance.now() - start) / 1000;
  await client.close();
  if (stats.data.kept_samples !== count) throw new Error(`kept ${stats.data.kept_samples} of ${count}`);
  return count / seconds;
}

/**
 * CPU µs per sample of the JSON work no implementation of teach can skip: parse and check the input
 * line, serialise and hash the request, serialise the kept sample, its outcome and its cache entry.
 * The raw generator does none of it (its bodies are built before the clock starts).
 */
function jsonFloorMicros(lines: string[], url: string): number {
  const once = () => {
    for (const line of lines) {
      const checked = validateFast(Sample, JSON.parse(line));
      if (!checked.ok) throw new Error("invalid bench sample");
      const kept = checked.value;
      const body = canonicalJson(requestBody({ model: "bench", messages: teacherMessages(kept), seed: candidateSeed(0, kept.id, 0) }, false));
      const key = keyOfBody(url, body);
      const reply = answer(JSON.parse(body));
      JSON.stringify({ key, version: "v", result: { content: reply.content, reasoning: reply.reasoning, tool_calls: [], finish_reason: "stop", usage: null, model: "bench", raw: reply } });
      JSON.stringify(kept);
      JSON.stringify({ sample_id: kept.id, domain: kept.meta.domain, line: 1, outcome: "kept", reason: "qa-match", detail: "candidate 0: matched", reference: "qa:ground_truth", candidates: 1, kept: [0], prompt_tokens: 0, completion_tokens: 0 });
    }
  };
  once();
  const start = process.cpuUsage();
  once();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / lines.length;
}

try {
  const samples = Array.from({ length: SAMPLES }, (_, i) => sample(i + 1));
  const input = join(work, "samples.jsonl");
  writeFileSync(input, samples.map((s) => `${JSON.stringify(s)}\n`).join(""));
  // the same bytes teach sends: its prompt, the model, the candidate's seed
  const bodies = samples.map((s) => JSON.stringify({ model: "bench", messages: teacherMessages(s), seed: candidateSeed(0, s.id, 0) }));
  const server = await startOpenAIServer((req) => answer(req.body), { record: false });
  try {
    const results = await interleavedRounds(
      {
        raw: async () => ({ rate: await rawLoad(server.url, bodies, IN_FLIGHT), units: SAMPLES }),
        teach: async () => ({ rate: await teachLoad(server.url, input, SAMPLES), units: SAMPLES }),
        "teach --no-cache": async () => ({ rate: await teachLoad(server.url, input, SAMPLES, false), units: SAMPLES }),
      },
      ROUNDS,
    );
    const chars = Math.round(samples.reduce((n, s) => n + s.messages[0]!.content.length, 0) / SAMPLES);
    console.log(`${SAMPLES} samples (prompts of ~${chars} chars), ${IN_FLIGHT} in flight, server answering at once, ${ROUNDS} interleaved rounds (medians):`);
    for (const [name, rounds] of Object.entries(results)) {
      const unit = name === "raw" ? "req/s    " : "samples/s";
      const rate = median(rounds.map((r) => r.rate));
      const cpu = median(rounds.map((r) => r.cpuMicros));
      const ratio =
        name === "raw" ? "" : `  ratio ${medianRatio(rounds, results.raw, (r) => r.rate).toFixed(2)}x wall, ${medianRatio(results.raw, rounds, (r) => r.cpuMicros).toFixed(2)}x CPU`;
      console.log(`  ${(name === "raw" ? "raw node:http load generator" : `acc ${name}`).padEnd(30)} ${rate.toFixed(0).padStart(6)} ${unit} ${cpu.toFixed(0).padStart(4)} µs CPU each${ratio}`);
    }
    console.log(`  target: acc teach >= 0.9x the raw generator (wall); ratios are medians of per-round ratios`);
    const floor = jsonFloorMicros(samples.map((s) => JSON.stringify(s)), server.url);
    const rawCpu = median(results.raw.map((r) => r.cpuMicros));
    console.log(`  JSON work any teach must do per sample: ${floor.toFixed(0)} µs CPU = ${((100 * floor) / rawCpu).toFixed(0)}% of the raw generator's CPU per request`);
    console.log(`  (so its CPU ratio cannot pass ${(rawCpu / (rawCpu + floor)).toFixed(2)}x before reading, verifying, caching or writing anything)`);
  } finally {
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
