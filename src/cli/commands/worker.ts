import { constants } from "node:os";
import { Command, Option } from "commander";
import { onSignal } from "../interrupt.js";
import { evalHandler } from "../../evals/queue.js";
import { openRolloutWorker } from "../../rollout/queue.js";
import { reportSandbox } from "../sandbox-options.js";
import type { QueueAddress } from "../../queue/address.js";
import { runWorker, type WorkerSummary } from "../../queue/worker.js";
import { teachHandler } from "../../teach/queue.js";
import { Verifiers } from "../../verify/index.js";
import type { CliIo } from "../io.js";
import { makeClient } from "../llm-client.js";
import { addOptions, type ClientFlags, clientOptions, concurrencyOption, maxTokensOption, quietOption, samplingRequest, secondsOption, temperatureOption } from "../options.js";
import { queueAddressOption } from "../queue-flags.js";
import { indexSearchCorpus, rolloutOptions, rolloutSetup, type RolloutSetupFlags } from "../rollout-options.js";
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

interface WorkerEvalFlags extends WorkerFlags, ClientFlags {
  endpoint: string;
  model: string;
  maxTokens?: number;
  temperature?: number;
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
  const evalWorker = addOptions(
    worker
      .command("eval")
      .description("Serve acc eval --queue jobs: send each item's messages to this machine's endpoint, return the answer")
      .addOption(queueAddressOption("the Redis of the producer's --queue (redis://host:port/db)").makeOptionMandatory())
      .requiredOption("--endpoint <url>", "OpenAI-compatible base URL this worker calls")
      .requiredOption("--model <name>", "model name sent with each request (the producer's)")
      .addHelpText(
        "after",
        `
Examples:
  acc worker eval --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --model qwen3 --drain

Related: acc eval --queue, acc status, docs/commands/worker.md`,
      ),
    [maxTokensOption("max_tokens of each request (the producer's)"), temperatureOption("temperature of each request (the producer's)"), ...clientOptions()],
  );
  workerOptions(evalWorker).action(async (flags: WorkerEvalFlags) => {
    const client = makeClient(flags.endpoint, flags, flags.concurrency);
    try {
      const summary = await serve(io, flags, [evalHandler(client, flags.model, samplingRequest(flags))]);
      io.stderr.write(`${workerSummary(summary)}\n`);
    } finally {
      await client.close();
    }
  });
  const rollout = rolloutOptions(
    worker
      .command("rollout")
      .description("Serve acc rollout --queue jobs: run each task's group of episodes here (tools in this machine's sandbox), return its records")
      .addOption(queueAddressOption("the Redis of the producer's --queue (redis://host:port/db)").makeOptionMandatory())
      .requiredOption("--endpoint <url>", "OpenAI-compatible base URL of the policy this worker calls")
      .addHelpText(
        "after",
        `
Examples:
  acc worker rollout --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --env sql:examples/.build/bookshop.sqlite --model Qwen/Qwen3-8B --drain

Related: acc rollout --queue, acc status, docs/commands/worker.md`,
      ),
  );
  addOptions(rollout, [secondsOption("--lock <s>", "a job's lock: renewed while this worker lives; once it lapses (the worker died) the job goes to another", 30), new Option("--drain", "exit once no job is waiting (default: serve until stopped)"), quietOption("no start line")]).action(
    async (flags: WorkerFlags & RolloutSetupFlags & { endpoint: string }) => {
      const setup = rolloutSetup(flags);
      await indexSearchCorpus(io, setup.env, Boolean(flags.quiet));
      if (setup.env.kind === "repo") await reportSandbox(io, Boolean(flags.quiet), setup.envSettings.sandbox);
      const served = await openRolloutWorker(setup);
      try {
        // a group runs its G episodes at once: --concurrency episodes are this many groups
        const summary = await serve(io, flags, [served.handler], Math.max(1, Math.floor(setup.concurrency / setup.groupSize)));
        io.stderr.write(`${workerSummary(summary)}\n`);
      } finally {
        await served.close();
      }
    },
  );
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

async function serve(io: CliIo, flags: WorkerFlags, handlers: Parameters<typeof runWorker>[1]["handlers"], concurrency = flags.concurrency): Promise<WorkerSummary> {
  if (!flags.quiet) io.stderr.write(`worker: serving ${handlers.map((h) => h.stage).join(", ")} jobs of ${flags.queue.label}\n`);
  // a first signal finishes the jobs held (no new ones); a second hands them back to the queue at once, so
  // neither leaves them to wait for their locks to lapse (as a worker killed with -9 does)
  const finish = new AbortController();
  const handBack = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  onSignal((signal) => {
    if (!stoppedBy) {
      stoppedBy = signal;
      io.stderr.write(`worker: ${signal}: finishing the jobs it holds, then stopping (${signal} again hands them back at once)\n`);
      finish.abort();
    } else {
      handBack.abort();
    }
  });
  try {
    const summary = await runWorker(flags.queue, { handlers, concurrency, lockMs: flags.lock, drain: Boolean(flags.drain), finish: finish.signal, handBack: handBack.signal });
    if (summary.handedBack > 0) {
      // the jobs' abandoned requests would keep the process alive: it ends here, as an interrupted command does
      io.stderr.write(`${workerSummary(summary)}\nworker: ${summary.handedBack} jobs handed back to the queue\n`);
      process.exit(128 + constants.signals[stoppedBy!]);
    }
    return summary;
  } finally {
    onSignal(undefined);
  }
}

function workerSummary(summary: WorkerSummary): string {
  return renderTable(["jobs done", "jobs failed", "jobs handed back"], [[summary.completed, summary.failed, summary.handedBack]]);
}
