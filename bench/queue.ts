// npm run bench:queue [-- --samples 600 --delay 50]
// acc teach through the Redis queue (1 producer + 2 workers, separate processes, a real redis-server with
// AOF fsynced on every write) against the same acc teach run locally (one process), both on the built CLI
// (dist/) against the in-process OpenAI-compatible server answering each request after --delay ms (an
// endpoint-bound stage: the model's latency is what the queue must not add to), 64 requests in flight on
// both sides (local --concurrency 64; each worker 32). Rate = samples / wall seconds from spawning the
// processes to the producer's exit (start-up included on both sides). CPU = all processes' CPU (children,
// redis-server, and this process's server) per sample. Per-job queue overhead: wall ms a job adds to its
// in-flight slot ((1/rate_queue - 1/rate_local) x in flight) and CPU ms per job. A warm-up round, then 3
// interleaved rounds; medians. `uptime` is printed before and after: the machine is shared.
import { type ChildProcess, execSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "../test/helpers/redis.js";
import { build, fromDist, interleavedRounds, median, medianRatio, REPO } from "./common.js";

build();
const { startOpenAIServer } = await fromDist<typeof import("../src/testing/openai-server.js")>("testing/openai-server.js");
const { SAMPLE_SCHEMA_VERSION } = await fromDist<typeof import("../src/records/sample.js")>("records/sample.js");

const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const SAMPLES = arg("--samples", 600);
const DELAY_MS = arg("--delay", 50);
const IN_FLIGHT = 64;
const ROUNDS = 3;
const work = mkdtempSync(join(tmpdir(), "acc-bench-queue-"));
const CLI = join(REPO, "dist/cli/main.js");
const TEACH = ["--model", "bench", "--candidates", "2", "--no-cache", "-q"];

function sample(i: number) {
  const question = `What does item ${i} cost?`;
  return {
    schema: "acc.sample",
    schema_version: SAMPLE_SCHEMA_VERSION,
    id: `sample-${i}`,
    messages: [
      { role: "user", content: `Please answer from the documents.\n\n<document index="1" source="shop">\nItem ${i} costs ${3 * i} EUR.\n</document>\n\nQuestion: ${question}` },
      { role: "assistant", content: `${3 * i} EUR`, reasoning: null },
    ],
    target: { answer: `${3 * i} EUR`, reasoning: null, answer_origin: "ground_truth", reasoning_origin: "none" },
    meta: {
      trajectory_id: `trajectory-${i}`,
      domain: "search",
      seed: 0,
      tokenizer: "qwen3",
      target_tokens: 1000,
      prompt_tokens: 60,
      evidence_count: 1,
      context_count: 0,
      distractor_count: 0,
      pool_distractor_count: 0,
      question_position: "after",
      split_pieces: [],
      pieces: [],
      task: { question, ground_truth: `${3 * i} EUR` },
    },
  };
}

/** The CLI as a process with the CPU reporter preloaded; resolves with its exit code and CPU µs. */
function acc(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; cpu: number; stderr: string }> } {
  const child = spawn(process.execPath, ["--import", join(REPO, "bench/report-rss.mjs"), CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const done = once(child, "exit").then(([code]) => ({ code: code as number | null, cpu: Number(/bench-cpu-us=(\d+)/.exec(stderr)?.[1] ?? Number.NaN), stderr }));
  return { child, done };
}

/** utime + stime of a process, µs. */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

const uptime = () => execSync("uptime").toString().trim();

try {
  const input = join(work, "samples.jsonl");
  writeFileSync(input, Array.from({ length: SAMPLES }, (_, i) => `${JSON.stringify(sample(i + 1))}\n`).join(""));
  const server = await startOpenAIServer(
    (request) => {
      const user = (request.body as { messages: { content: string }[] }).messages.at(-1)!.content;
      const item = Number(/What does item (\d+) cost\?/.exec(user)![1]);
      return { type: "answer", content: `Final answer: ${3 * item} EUR`, reasoning: "listed", delayMs: DELAY_MS };
    },
    { record: false },
  );
  const redis = await startRedis();
  let run = 0;
  try {
    const local = async () => {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const teach = acc(["teach", input, "--endpoint", server.url, "-o", join(work, `local-${run++}`), "--concurrency", String(IN_FLIGHT), ...TEACH]);
      const result = await teach.done;
      if (result.code !== 0) throw new Error(`local teach failed: ${result.stderr}`);
      const seconds = (performance.now() - start) / 1000;
      const own = process.cpuUsage(cpu);
      return { rate: SAMPLES / seconds, units: SAMPLES, cpu: result.cpu + own.user + own.system };
    };
    const queued = async () => {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const redisCpu = processCpu(redis.pid()!);
      const workers = [0, 1].map(() => acc(["worker", "teach", "--queue", redis.url, "--endpoint", server.url, "--concurrency", String(IN_FLIGHT / 2), ...TEACH]));
      const producer = acc(["teach", input, "--queue", redis.url, "-o", join(work, `queued-${run++}`), "--concurrency", String(IN_FLIGHT), ...TEACH]);
      const result = await producer.done;
      if (result.code !== 0) throw new Error(`queued teach failed: ${result.stderr}`);
      const seconds = (performance.now() - start) / 1000;
      for (const worker of workers) worker.child.kill("SIGTERM");
      const ended = await Promise.all(workers.map((w) => w.done));
      const own = process.cpuUsage(cpu);
      const cpuUs = result.cpu + ended.reduce((n, w) => n + w.cpu, 0) + (processCpu(redis.pid()!) - redisCpu) + own.user + own.system;
      return { rate: SAMPLES / seconds, units: SAMPLES, cpu: cpuUs };
    };
    console.log(`before: ${uptime()}`);
    const results = await interleavedRounds({ local, queue: queued }, ROUNDS);
    const rate = (name: "local" | "queue") => median(results[name].map((r) => r.rate));
    const cpuMs = (name: "local" | "queue") => median(results[name].map((r) => r.cpuMicros)) / 1000;
    const wallOverheadMs = median(results.queue.map((r, i) => (1 / r.rate - 1 / results.local[i]!.rate) * IN_FLIGHT * 1000));
    const cpuOverheadMs = median(results.queue.map((r, i) => (r.cpuMicros - results.local[i]!.cpuMicros) / 1000));
    console.log(`${SAMPLES} samples, server answering after ${DELAY_MS} ms, ${IN_FLIGHT} in flight, ${ROUNDS} interleaved rounds (medians):`);
    console.log(`  acc teach (local)             ${rate("local").toFixed(0).padStart(5)} samples/s  ${cpuMs("local").toFixed(2)} ms CPU each`);
    console.log(`  acc teach --queue + 2 workers ${rate("queue").toFixed(0).padStart(5)} samples/s  ${cpuMs("queue").toFixed(2)} ms CPU each`);
    console.log(`  ratio queue/local: ${medianRatio(results.queue, results.local, (r) => r.rate).toFixed(2)}x rate (target >= 0.8x)`);
    console.log(`  queue overhead per job: ${wallOverheadMs.toFixed(1)} ms wall (of its in-flight slot), ${cpuOverheadMs.toFixed(2)} ms CPU (producer + workers + redis-server)`);
    console.log(`after: ${uptime()}`);
  } finally {
    await redis.stop();
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
