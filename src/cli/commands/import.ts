import { dirname } from "node:path";
import { Command, Option } from "commander";
import { importToFiles } from "../../import/write.js";
import { streamSink, writeFileAtomic } from "../../io/atomic.js";
import { STDIN } from "../../io/stdin.js";
import { setResumeHint } from "../interrupt.js";
import { REDACT_MODES, type RedactMode } from "../../privacy/types.js";
import { Domain } from "../../records/trajectory.js";
import { type CliIo, UsageError } from "../io.js";
import { addOptions, choiceOption, formatOption, maxLineBytesOption, type OutFlags, outOption, outPath, outputAliasOption, positiveIntegerOption, quietOption } from "../options.js";
import { bytesReadFromNow, inputBytes, progressWithTotal } from "../progress.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";
import { auditSummary, importSummary, nothingImported } from "../summaries.js";

interface ImportFlags extends OutFlags, ShardFlags {
  format?: string;
  domain?: Domain;
  rejects?: string;
  onError: "skip" | "fail";
  maxLineBytes: number;
  workers: number;
  redact: RedactMode;
  audit?: boolean;
  summaryJson?: string;
  quiet?: boolean;
}

export function importCommand(io: CliIo): Command {
  return addOptions(
    new Command("import")
      .description("Read agent logs of any supported format and write canonical trajectories as JSONL")
      .argument("<inputs...>", "files, directories or globs (gzip accepted); - reads stdin"),
    [
      formatOption("skip detection and read every input as this format (see `acc formats`)"),
      choiceOption("--domain <domain>", "set the domain instead of inferring it: search, swe, sql or generic", Domain.options),
      outOption("write trajectories here instead of stdout (-: stdout)", { value: "file" }),
      outputAliasOption(),
      new Option("--rejects <file>", "where rejected records go (default: <output>.rejects.jsonl, or acc-import.rejects.jsonl)"),
      choiceOption("--on-error <mode>", "skip: list bad records in the rejects file; fail: stop at the first", ["skip", "fail"] as const, "skip"),
      maxLineBytesOption(),
      positiveIntegerOption("--workers <n>", "worker threads for JSONL row formats: faster on free cores, ~80 MB more memory each", 1),
      choiceOption("--redact <mode>", "secrets and personal details: on (replace with <SECRET:type>), report (count only) or off", REDACT_MODES, "on"),
      new Option("--audit", "also check that no source text is silently lost: share carried, dropped text by path and reason"),
      new Option("--summary-json <file>", "also write the closing summary as JSON (- for stdout, when trajectories go to a file)"),
      shardFlag("rows of JSONL files by file and line, other logs by path; -o names a file in the shard's own folder"),
      quietOption(),
    ],
  )
    .addHelpText(
      "after",
      `
Examples:
  acc import ~/.claude/projects/my-app -o trajectories.jsonl
  acc import runs/*.traj --domain swe -o swe.jsonl --rejects swe.rejects.jsonl
  acc import logs.jsonl.gz --format openai-chat --on-error fail > out.jsonl
  acc import ~/.codex/sessions --redact report -o codex.jsonl
  acc import runs/ --audit -o runs.jsonl

Related: acc inspect, acc formats`,
    )
    .action(async (inputs: string[], flags: ImportFlags) => {
      const output = outPath(flags);
      const { onError, domain, redact, shard } = flags;
      if (flags.summaryJson === "-" && (output === undefined || output === "-")) {
        throw new UsageError("--summary-json - and the trajectories would both go to stdout: give -o <file> or a --summary-json file");
      }
      const rejectsPath = flags.rejects ?? (output && output !== "-" ? `${output}.rejects.jsonl` : "acc-import.rejects.jsonl");
      if (shard && (output === undefined || output === "-" || dirname(rejectsPath) !== dirname(output))) {
        throw new UsageError("--shard needs -o <file> in the shard's own folder, with the rejects file beside it", { flag: "--shard", fix: "e.g. --shard 0/4 -o out/import-0/trajectories.jsonl (then acc merge out/import-* -o out/import)" });
      }
      const toFile = output !== undefined && output !== "-";
      // a file is resumable; nothing imported, it is not written (an earlier file of that name stays as it was)
      if (toFile && !inputs.includes(STDIN)) setResumeHint(`rerun the same command to resume (progress is saved in ${dirname(output)})`);
      const progress = await progressWithTotal(io.stderr, "import", Boolean(flags.quiet), () => inputBytes(inputs));
      const bytesRead = bytesReadFromNow();
      const stats = await importToFiles(inputs, {
        output: toFile ? output : streamSink(io.stdout),
        rejectsPath,
        onError,
        ...(flags.format ? { format: flags.format } : {}),
        ...(domain ? { domain } : {}),
        redact,
        ...(flags.audit ? { audit: true } : {}),
        maxLineBytes: flags.maxLineBytes,
        workers: flags.workers,
        ...(shard ? { shard } : {}),
        onProgress: (s) => progress.update(bytesRead(), `${s.files} files, ${s.imported} imported, ${s.rejected} rejected`),
      });
      progress.stop();
      io.stderr.write(`${importSummary(stats, stats.rejected + stats.damagedLines > 0 ? rejectsPath : undefined, redact)}\n`);
      if (flags.audit) io.stderr.write(`${auditSummary(stats.audit)}\n`);
      const summaryJson = `${JSON.stringify(stats, null, 2)}\n`;
      if (flags.summaryJson === "-") io.stdout.write(summaryJson);
      else if (flags.summaryJson) await writeFileAtomic(flags.summaryJson, summaryJson);
      // a shard none of the input falls in has done its part
      const failure = shard && stats.read === 0 ? undefined : nothingImported(inputs, stats, rejectsPath);
      if (failure) throw failure;
    });
}
