import { Command, Option } from "commander";
import type { QueueAddress } from "../../queue/address.js";
import { runWorker, type WorkerSummary } from "../../queue/worker.js";
import { teachHandler } from "../../teach/queue.js";
import { Verifiers } from "../../verify/index.js";
import type { CliIo } from "../io.js";
import { makeClient } from "../llm-client.js";
import { addOptions, type ClientFlags, clientOptions, concurrencyOption, quietOption, secondsOption } from "../options.js";
import { queueAddressOption } from "../queue-flags.js";
import { renderTable } from "../table.js";
import { type TeacherFlags, teacherClient, teacherOptions, teachSetup } from "../teacher-options.js";
import { judgeEndpoint, judgeOptions, qaOptions, type VerifierFlags, verifierOptions, verifySetup } from "../verifier-options.js";

interface WorkerFlags {
  queue: QueueAddress;
  concurrency: number;
  /** milliseconds */
  lock: number;
  drain?: boolean;
  quiet?: boolean;
}

interface WorkerTeachFlags extends WorkerFlags, TeacherFlags, VerifierFlags, ClientFlags {
  endpoint: string;
}

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
    .addOption(queueAddressOption("the Redis of the producer's --queue (redis://host:port/db)").makeOptionMandatory())
    .requiredOption("--endpoint <url>", "OpenAI-compatible base URL of the teacher this worker calls")
    .addHelpText(
      "after",
      `
Examples:
  acc worker teach --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-235B-A22B --drain

Related: acc teach --queue, acc status, docs/commands/worker.md`,
    );
  teacherOptions(teach);
  workerOptions(verifierOptions(qaOptions(addOptions(teach, clientOptions())))).action(async (flags: WorkerTeachFlags) => {
    const endpoint = flags.endpoint;
    const concurrency = flags.concurrency;
    const client = teacherClient(endpoint, flags, concurrency);
    const judgeClient = flags.judgeModel === undefined ? undefined : judgeEndpoint(flags) === endpoint ? client : makeClient(judgeEndpoint(flags), flags, concurrency);
    const verify = verifySetup(flags, undefined);
    const setup = judgeClient && flags.judgeModel !== undefined ? { ...verify, judge: judgeOptions(flags.judgeModel, flags, judgeClient) } : verify;
    const verifiers = await Verifiers.create(setup);
    try {
      const summary = await serve(io, flags, [teachHandler(client, verifiers, teachSetup(flags), setup)]);
      io.stderr.write(`${workerSummary(summary)}\n`);
    } finally {
      await verifiers.close();
      await client.close();
      if (judgeClient && judgeClient !== client) await judgeClient.close();
    }
  });
  return worker;
}

function workerOptions<C extends Command>(command: C): C {
  return addOptions(command, [
    concurrencyOption("jobs (and requests) at once", 16),
    secondsOption("--lock <s>", "a job's lock: renewed while this worker lives; once it lapses (the worker died) the job goes to another", 30),
    new Option("--drain", "exit once no job is waiting (default: serve until stopped)"),
    quietOption("no start line"),
  ]);
}

async function serve(io: CliIo, flags: WorkerFlags, handlers: Parameters<typeof runWorker>[1]["handlers"]): Promise<WorkerSummary> {
  // a signal ends the process (src/cli/interrupt.ts): its jobs' locks lapse and other workers take them
  if (!flags.quiet) io.stderr.write(`worker: serving ${handlers.map((h) => h.stage).join(", ")} jobs of ${flags.queue.label}\n`);
  return runWorker(flags.queue, { handlers, concurrency: flags.concurrency, lockMs: flags.lock, drain: Boolean(flags.drain) });
}

function workerSummary(summary: WorkerSummary): string {
  return renderTable(["jobs done", "jobs failed"], [[summary.completed, summary.failed]]);
}
