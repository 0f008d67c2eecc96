// npm run bench:queue [-- --samples 600 --delay 50 --teacher-delay 2000 --teacher-samples 512]
// acc teach through the Redis queue (1 producer + 2 workers, separate processes, a real redis-server with
// AOF fsynced on every write) against the same acc teach run locally (one process), both on the built CLI
// (dist/) against the in-process OpenAI-compatible server answering each request after a delay, 64 requests
// in flight on both sides (local --concurrency 64; each worker 32). Two workloads:
// - --delay 50 ms: a stress test of the queue's own cost; both sides are CPU-bound on a 2-core machine;
// - --teacher-delay 2000 ms: a realistic teacher call, the workload the >= 0.8x target applies to (docs/benchmarks.md
//   says why 2 s is a lower bound for the answers teach asks for).
// Rate = samples / wall seconds from spawning the processes to the producer's exit (start-up included on both
// sides). CPU = all processes' CPU (children, redis-server, and this process's server) per sample, and the
// queue's split: producer, workers, redis-server. Per-job queue overhead: wall ms a job adds to its in-flight
// slot ((1/rate_queue - 1/rate_local) x in flight) and CPU ms per job. A warm-up round, then interleaved
// rounds; medians. `uptime` is printed before and after: the machine is shared.
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
const WORKLOADS = [
  { name: "stress", samples: arg("--samples", 600), delayMs: arg("--delay", 50), rounds: 3 },
  { name: "teacher", samples: arg("--teacher-samples", 512), delayMs: arg("--teacher-delay", 2000), rounds: 2 },
];
const IN_FLIGHT = 64;
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

const processCpuMs = (pid: number) => processCpu(pid) / 1000;

async function measure(workload: (typeof WORKLOADS)[number]): Promise<void> {
  const { samples: SAMPLES, delayMs, rounds } = workload;
  const input = join(work, `samples-${workload.name}.jsonl`);
  writeFileSync(input, Array.from({ length: SAMPLES }, (_, i) => `${JSON.stringify(sample(i + 1))}\n`).join(""));
  const server = await startOpenAIServer(
    (request) => {
      const user = (request.body as { messages: { content: string }[] }).messages.at(-1)!.content;
      const item = Number(/What does item (\d+) cost\?/.exec(user)![1]);
      return { type: "answer", content: `Final answer: ${3 * item} EUR`, reasoning: "listed", delayMs };
    },
    { record: false },
  );
  const redis = await startRedis();
  let run = 0;
  // the queue's CPU per job by process (ms), each round
  const split: { producer: number; workers: number; redis: number; server: number }[] = [];
  const localSplit: { producer: number; server: number }[] = [];
  try {
    const local = async () => {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const teach = acc(["teach", input, "--endpoint", server.url, "-o", join(work, `local-${run++}`), "--concurrency", String(IN_FLIGHT), ...TEACH]);
      const result = await teach.done;
      if (result.code !== 0) throw new Error(`local teach failed: ${result.stderr}`);
      const seconds = (performance.now() - start) / 1000;
      const own = process.cpuUsage(cpu);
      localSplit.push({ producer: result.cpu / 1000 / SAMPLES, server: (own.user + own.system) / 1000 / SAMPLES });
      return { rate: SAMPLES / seconds, units: SAMPLES, cpu: result.cpu + own.user + own.system };
    };
    const queued = async () => {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const redisCpu = processCpuMs(redis.pid()!);
      const workers = [0, 1].map(() => acc(["worker", "teach", "--queue", redis.url, "--endpoint", server.url, "--concurrency", String(IN_FLIGHT / 2), ...TEACH]));
      const producer = acc(["teach", input, "--queue", redis.url, "-o", join(work, `queued-${run++}`), "--concurrency", String(IN_FLIGHT), ...TEACH]);
      const result = await producer.done;
      if (result.code !== 0) throw new Error(`queued teach failed: ${result.stderr}`);
      const seconds = (performance.now() - start) / 1000;
      for (const worker of workers) worker.child.kill("SIGTERM");
      const ended = await Promise.all(workers.map((w) => w.done));
      const own = process.cpuUsage(cpu);
      const parts = { producer: result.cpu / 1000, workers: ended.reduce((n, w) => n + w.cpu, 0) / 1000, redis: processCpuMs(redis.pid()!) - redisCpu, server: (own.user + own.system) / 1000 };
      split.push({ producer: parts.producer / SAMPLES, workers: parts.workers / SAMPLES, redis: parts.redis / SAMPLES, server: parts.server / SAMPLES });
      return { rate: SAMPLES / seconds, units: SAMPLES, cpu: (parts.producer + parts.workers + parts.redis + parts.server) * 1000 };
    };
    const results = await interleavedRounds({ local, queue: queued }, rounds);
    // the warm-up round's figures are not counted
    split.shift();
    localSplit.shift();
    const rate = (name: "local" | "queue") => median(results[name].map((r) => r.rate));
    const cpuMs = (name: "local" | "queue") => median(results[name].map((r) => r.cpuMicros)) / 1000;
    const wallOverheadMs = median(results.queue.map((r, i) => (1 / r.rate - 1 / results.local[i]!.rate) * IN_FLIGHT * 1000));
    const cpuOverheadMs = median(results.queue.map((r, i) => (r.cpuMicros - results.local[i]!.cpuMicros) / 1000));
    const part = (list: Record<string, number>[], key: string) => median(list.map((s) => s[key]!)).toFixed(2);
    console.log(`${workload.name}: ${SAMPLES} samples, server answering after ${delayMs} ms, ${IN_FLIGHT} in flight, ${rounds} interleaved rounds after a warm-up (medians):`);
    console.log(`  acc teach (local)             ${rate("local").toFixed(1).padStart(6)} samples/s  ${cpuMs("local").toFixed(2)} ms CPU each (acc ${part(localSplit, "producer")}, test server ${part(localSplit, "server")})`);
    console.log(`  acc teach --queue + 2 workers ${rate("queue").toFixed(1).padStart(6)} samples/s  ${cpuMs("queue").toFixed(2)} ms CPU each (producer ${part(split, "producer")}, workers ${part(split, "workers")}, redis-server ${part(split, "redis")}, test server ${part(split, "server")})`);
    console.log(`  ratio queue/local: ${medianRatio(results.queue, results.local, (r) => r.rate).toFixed(2)}x rate${workload.name === "teacher" ? " (target >= 0.8x)" : " (stress: no target, see docs/benchmarks.md)"}`);
    console.log(`  queue overhead per job: ${wallOverheadMs.toFixed(1)} ms wall (of its in-flight slot), ${cpuOverheadMs.toFixed(2)} ms CPU (all processes)`);
  } finally {
    await redis.stop();
    await server.close();
  }
}

try {
  console.log(`before: ${uptime()}`);
  for (const workload of WORKLOADS) await measure(workload);
  console.log(`after: ${uptime()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
