import { Command } from "commander";
import { parseQueueAddress } from "../../queue/address.js";
import { runWorker, type WorkerSummary } from "../../queue/worker.js";
import { teachHandler } from "../../teach/queue.js";
import { Verifiers } from "../../verify/index.js";
import { type CliIo, parseInteger } from "../io.js";
import { makeClient } from "../llm-client.js";
import { clientFlags } from "../llm-flags.js";
import { renderTable } from "../table.js";
import { teacherClient, teachFlags, teachSetup } from "./teach.js";
import { judgeEndpoint, judgeOptions, qaFlags, seconds, verifierFlags, verifySetup } from "./verify.js";

type Flags = Record<string, unknown>;

export function workerCommand(io: CliIo): Command {
  const worker = new Command("worker").description("Serve the jobs a stage run with --queue put in Redis: call this machine's endpoint, hand results back").addHelpText(
    "after",
    `
Each worker takes its endpoint and API key from its own flags and environment; jobs carry only records and the
settings that shape results, and a worker refuses (and stops at) a job whose settings differ from its flags.

Examples:
  acc worker teach --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-235B-A22B --temperature 0.6 --drain
  acc worker teach --queue redis://queue-host:6379/0 --endpoint https://api.openai.com/v1 --api-key-env OPENAI_API_KEY --model gpt-4.1 --drain

Related: acc status, docs/scale.md`,
  );
  const teach = worker
    .command("teach")
    .description("Serve acc teach --queue jobs: ask the teacher, verify, return each sample's outcome")
    .requiredOption("--queue <url>", "the Redis of the producer's --queue (redis://host:port/db)")
    .requiredOption("--endpoint <url>", "OpenAI-compatible base URL of the teacher this worker calls");
  teachFlags(teach);
  workerFlags(verifierFlags(qaFlags(clientFlags(teach)))).action(async (flags: Flags) => {
    const address = parseQueueAddress(String(flags.queue));
    const endpoint = String(flags.endpoint);
    const concurrency = parseInteger(String(flags.concurrency), "--concurrency");
    const client = teacherClient(endpoint, flags, concurrency);
    const judgeClient = flags.judgeModel === undefined ? undefined : judgeEndpoint(flags) === endpoint ? client : makeClient(judgeEndpoint(flags), flags, concurrency);
    const verify = verifySetup(flags, undefined);
    const setup = judgeClient ? { ...verify, judge: judgeOptions(flags, judgeClient) } : verify;
    const verifiers = await Verifiers.create(setup);
    try {
      const summary = await serve(io, flags, address, [teachHandler(client, verifiers, teachSetup(flags), setup)], concurrency);
      io.stderr.write(`${workerSummary(summary)}\n`);
    } finally {
      await verifiers.close();
      await client.close();
      if (judgeClient && judgeClient !== client) await judgeClient.close();
    }
  });
  return worker;
}

function workerFlags(command: Command): Command {
  return command
    .option("--concurrency <n>", "jobs (and requests) at once", "16")
    .option("--lock <s>", "a job's lock: renewed while this worker lives; once it lapses (the worker died) the job goes to another", "30")
    .option("--drain", "exit once no job is waiting (default: serve until stopped)")
    .option("-q, --quiet", "no start line");
}

async function serve(io: CliIo, flags: Flags, address: ReturnType<typeof parseQueueAddress>, handlers: Parameters<typeof runWorker>[1]["handlers"], concurrency: number): Promise<WorkerSummary> {
  const lockMs = seconds(flags.lock, "--lock");
  // a signal ends the process (src/cli/interrupt.ts): its jobs' locks lapse and other workers take them
  if (!flags.quiet) io.stderr.write(`worker: serving ${handlers.map((h) => h.stage).join(", ")} jobs of ${address.label}\n`);
  return runWorker(address, { handlers, concurrency, lockMs, drain: Boolean(flags.drain) });
}

function workerSummary(summary: WorkerSummary): string {
  return renderTable(["jobs done", "jobs failed"], [[summary.completed, summary.failed]]);
}
