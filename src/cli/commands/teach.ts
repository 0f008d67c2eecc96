import { Command } from "commander";
import type { ClientStats, LlmClient } from "../../llm/types.js";
import { LlmError } from "../../llm/types.js";
import { Domain } from "../../records/trajectory.js";
import { teachRun } from "../../teach/run.js";
import { teachSettings } from "../../teach/queue.js";
import { teachStopped } from "../../teach/stopped.js";
import { checkReachable } from "../../queue/connection.js";
import { type QueueFlags, queueFlags, queueOption } from "../queue-flags.js";
import type { TeachStats } from "../../teach/stats.js";
import { AccError } from "../../errors/acc-error.js";
import { type CliIo, existingInputs, UsageError } from "../io.js";
import { setResumeHint } from "../interrupt.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { STDIN } from "../../io/stdin.js";
import { countLines } from "../../io/lines.js";
import { progressWithTotal } from "../progress.js";
import { renderTable } from "../table.js";
import { makeClient } from "../llm-client.js";
import { addOptions, type ClientFlags, clientOptions, concurrencyOption, type OverwriteQuietFlags, outOption, overwriteOption, quietOption } from "../options.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";
import { reportSandbox } from "../sandbox-options.js";
import { type TeacherFlags, teacherClient, teacherOptions, teachSetup } from "../teacher-options.js";
import { judgeEndpoint, judgeOptions, qaOptions, type VerifierFlags, verifierOptions, verifySetup } from "../verifier-options.js";

interface TeachFlags extends TeacherFlags, VerifierFlags, ClientFlags, QueueFlags, ShardFlags, OverwriteQuietFlags {
  endpoint?: string;
  out: string;
  concurrency: number;
}

export function teachCommand(io: CliIo): Command {
  const command = new Command("teach")
    .description("Ask a teacher model for reasoning traces, verify each answer against the gold, keep the verified ones (rejection sampling)")
    .argument("<samples>", "samples JSONL from acc compile (- reads stdin; a run from stdin does not resume)")
    .option("--endpoint <url>", "OpenAI-compatible base URL of the teacher, e.g. http://127.0.0.1:8000/v1 (required unless --queue)")
    .addOption(outOption("output folder: samples.jsonl, rejects.jsonl, outcomes.jsonl, stats.json", { required: true }));
  teacherOptions(command).addOption(concurrencyOption("samples (and requests) in flight; with --queue, jobs in the queue at once", 64));
  addOptions(queueFlags(verifierOptions(qaOptions(addOptions(command, clientOptions()))), "samples"), [
    shardFlag("samples split by a hash of their id"),
    overwriteOption("write into a folder holding another stage's outputs (they are removed first), or start afresh instead of resuming"),
    quietOption(),
  ])
    .addHelpText(
      "after",
      `
Examples:
  acc teach out/compile/samples.jsonl --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-235B-A22B --candidates 4 --temperature 0.6 -o out/teach
  acc teach samples.jsonl --endpoint https://api.openai.com/v1 --api-key-env OPENAI_API_KEY --model gpt-4.1 --candidates 2 -o out/teach --db dbs/
  acc teach swe.jsonl --endpoint http://gpu:8000/v1 --model m --repo repo --test-cmd "python -m pytest -q tests" -o out/swe

A killed run resumes when rerun with the same command; cached answers are never paid for twice.
Related: acc compile, acc verify, acc export`,
    )
    .action(async (input: string, flags: TeachFlags) => {
      existingInputs([input]);
      const queue = queueOption(flags);
      if (flags.endpoint === undefined && !queue) throw new UsageError("--endpoint is required (or --queue, to let acc worker processes call the teacher)", { flag: "--endpoint" });
      // with --queue this process calls no model: the run's answers come from the queue's workers
      const endpoint = queue ? queue.address.label : flags.endpoint!;
      const outDir = flags.out;
      const verify = verifySetup(flags, undefined);
      if (flags.testCmd !== undefined) await reportSandbox(io, Boolean(flags.quiet), verify.sandbox);
      const concurrency = flags.concurrency;
      const client = queue ? undefined : teacherClient(endpoint, flags, concurrency);
      const judgeClient = flags.judgeModel === undefined || !client ? undefined : judgeEndpoint(flags) === endpoint ? client : makeClient(judgeEndpoint(flags), flags, concurrency);
      // a run from stdin cannot be resumed: the input is gone once read
      if (input !== STDIN) setResumeHint(`rerun the same command to resume (progress is saved in ${outDir})`);
      const progress = await progressWithTotal(io.stderr, "teach", Boolean(flags.quiet), () => countLines(input));
      try {
        const runOptions: Parameters<typeof teachRun>[0] = {
          input,
          outDir,
          ...(client ? { client } : {}),
          endpoint,
          setup: teachSetup(flags),
          // with --queue, the judge's settings travel in each job (the workers call it)
          verify: flags.judgeModel !== undefined && (judgeClient || queue) ? { ...verify, judge: judgeOptions(flags.judgeModel, flags, judgeClient!) } : verify,
          ...(queue ? { queue: (run: string) => queue.open({ stage: "teach", run, settings: teachSettings(runOptions.setup, runOptions.verify) }) } : {}),
          concurrency,
          ...(flags.shard ? { shard: flags.shard } : {}),
          onProgress: (s, linesRead) => progress.update(linesRead, `${s.data.read} samples, ${s.data.kept_samples} kept, ${s.data.rejected_samples} rejected`),
        };
        if (queue) await checkReachable(queue.address);
        await claimOutputDir(outDir, { stage: "teach" }, { overwrite: Boolean(flags.overwrite), inputs: [input] });
        const stats = await teachRun(runOptions);
        progress.stop();
        const sent = client ? clientLine(combined(client, judgeClient)) : `this run: ${stats.data.read - stats.data.invalid - stats.data.duplicates} samples through ${queue!.address.label}`;
        io.stderr.write(`${teachSummary(stats, sent)}\nsamples: ${outDir}/samples.jsonl\n`);
        // a shard none of the input falls in has done all its work
        if (stats.data.kept_samples === 0 && !(runOptions.shard && stats.data.read === 0)) throw nothingKept(stats, outDir);
      } catch (error) {
        progress.stop();
        throw error instanceof LlmError ? teachStopped(error) : error;
      } finally {
        await client?.close();
        if (judgeClient && judgeClient !== client) await judgeClient.close();
      }
    });
  return command;
}

/** A teach run that kept no sample: how many were read and why each was rejected. */
function nothingKept(stats: TeachStats, outDir: string): AccError {
  const d = stats.data;
  const reasons = new Map<string, number>();
  for (const domain of Object.values(d.domains)) for (const [reason, n] of Object.entries(domain.reject_reasons)) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  const why = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => `${reason}:${n}`).join(" ");
  const what = d.read === 0 ? "no samples in the input" : `no sample kept of ${d.read} (${d.invalid} invalid lines; rejected candidates: ${why || "none"})`;
  return new AccError(what, { code: "no-records", fix: `see ${outDir}/outcomes.jsonl for each sample's reason` });
}

function combined(client: LlmClient, judge: LlmClient | undefined): ClientStats {
  const stats = client.stats();
  if (!judge || judge === client) return stats;
  const other = judge.stats();
  return Object.fromEntries(Object.entries(stats).map(([key, value]) => [key, value + other[key as keyof ClientStats]])) as unknown as ClientStats;
}

/** The per-domain table, the accounting line, and what this process sent (which differs between a run and its resume). */
export function teachSummary(stats: TeachStats, sent: string): string {
  const rows = Domain.options
    .filter((d) => stats.data.domains[d])
    .map((d) => {
      const s = stats.data.domains[d]!;
      return [
        d,
        s.samples,
        s.candidates,
        s.answered > 0 ? `${((100 * s.passed) / s.answered).toFixed(1)}%` : "-",
        s.kept_samples,
        s.rejected_samples,
        s.prompt_tokens,
        s.completion_tokens,
        Object.entries(s.reject_reasons)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([reason, n]) => `${reason}:${n}`)
          .join(" ") || "-",
      ];
    });
  const table = renderTable(["domain", "samples", "candidates", "pass rate", "kept", "rejected", "prompt tokens", "completion tokens", "rejected candidates"], rows);
  const d = stats.data;
  const kept = Object.values(d.domains).reduce((n, s) => n + s.kept_records, 0);
  const extra = kept !== d.kept_samples ? ` (${kept} kept records)` : "";
  return [
    table,
    `read ${d.read} = kept ${d.kept_samples}${extra} + rejected ${d.rejected_samples} + invalid lines ${d.invalid}`,
    sent,
  ].join("\n");
}

/** What this process sent (which differs between a run and its resume). */
function clientLine(client: ClientStats): string {
  return `this run: ${client.requests} requests sent, ${client.cache_hits} answers from the cache, ${client.retries} retries, ${client.failures} failed calls`;
}
