import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { DEFAULT_LENGTHS, type LengthDistribution, parseLengthSpec } from "../../compile/lengths.js";
import { compileRun } from "../../compile/run.js";
import type { CompileStats } from "../../compile/stats.js";
import { defaultWorkers } from "../../run/worker-pool.js";
import { REDACT_MODES, type RedactMode } from "../../privacy/types.js";
import { Domain } from "../../records/trajectory.js";
import { BUNDLED_TOKENIZERS } from "../../tokenize/resolve.js";
import { AccError } from "../../errors/acc-error.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { STDIN } from "../../io/stdin.js";
import { type CliIo, UsageError, gitRepository, sqliteDatabase } from "../io.js";
import {
  addOptions,
  choiceOption,
  formatOption,
  numberOption,
  type OverwriteQuietFlags,
  outOption,
  overwriteOption,
  parseChoice,
  positiveIntegerOption,
  quietOption,
  repeatableOption,
  seedOption,
} from "../options.js";
import { setResumeHint } from "../interrupt.js";
import { bytesReadFromNow, createProgress, inputBytes } from "../progress.js";
import { secretsSummary } from "../summaries.js";
import { renderTable } from "../table.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";

interface CompileFlags extends ShardFlags, OverwriteQuietFlags {
  out: string;
  seed: number;
  tokenizer: string;
  length: string[];
  question: "before" | "after" | "both";
  /** false with --no-distractors */
  distractors: boolean;
  splitOversize?: boolean;
  keepFailed?: boolean;
  minFill: number;
  targets: "trajectory";
  repo?: string;
  db?: string;
  format?: string;
  domain?: Domain;
  workers?: number;
  redact: RedactMode;
  poolPieces: number;
  poolMb: number;
}

export function compileCommand(io: CliIo): Command {
  return addOptions(
    new Command("compile")
      .description("Compile agent trajectories into long-context QA samples packed to exact token budgets")
      .argument("<inputs...>", "agent logs of any supported format, or trajectories from `acc import`; - reads stdin"),
    [
      outOption("output folder: samples.jsonl, rejects.jsonl, stats.json", { required: true }),
      seedOption("seed of every random choice"),
      new Option("--tokenizer <name|dir>", "qwen3 (bundled), o200k_base, cl100k_base, or a Hugging Face tokenizer folder").default("qwen3").argParser(tokenizerName),
      repeatableOption("--length <domain=spec>", "target length distribution, e.g. search=uniform:32000-128000, sql=fixed:32000, all=histogram:h.csv (repeatable)"),
      choiceOption("--question <where>", "question before, after or both around the documents", ["before", "after", "both"] as const, "after"),
      new Option("--no-distractors", "only evidence (and debugging context): the paper's ablation"),
      new Option("--split-oversize", "cut an evidence piece that can never fit at line boundaries instead of dropping the sample"),
      new Option("--keep-failed", "also compile trajectories whose outcome is a failure"),
      numberOption("--min-fill <ratio>", "drop samples whose prompt fills less than this share of its target length (0-1)", { min: 0, max: 1 }, 0),
      choiceOption("--targets <source>", "where answers and reasoning come from: trajectory", ["trajectory"] as const, "trajectory"),
      new Option("--repo <path>", "git repository of SWE tasks: patched files are read in full at the base commit"),
      new Option("--db <path>", "SQLite file, or folder of them by database id, for SQL tasks: queried tables in full"),
      formatOption("read every input as this format"),
      choiceOption("--domain <domain>", "set the domain of every trajectory", Domain.options),
      positiveIntegerOption("--workers <n>", "worker threads (default: up to 2)"),
      choiceOption("--redact <mode>", "secrets and personal details in the trajectories: on (replace with <SECRET:type>), report (count only) or off", REDACT_MODES, "on"),
      positiveIntegerOption("--pool-pieces <n>", "distractor pool: pieces kept per domain", 4096),
      positiveIntegerOption("--pool-mb <n>", "distractor pool: text kept per domain, in MB (each pool piece is tokenized once)", 16),
      shardFlag("trajectories split by a hash of their id; the distractor pool is the same in every shard"),
      overwriteOption("write into a folder holding another stage's outputs (they are removed first), or start afresh instead of resuming"),
      quietOption(),
    ],
  )
    .addHelpText(
      "after",
      `
Examples:
  node examples/setup.mjs
  acc compile examples/logs -o out/compile --repo examples/.build/repo --db examples/.build/bookshop.sqlite
  acc compile trajectories.jsonl -o out/search --length search=fixed:100000 --seed 7
  acc compile swe/ -o out/swe --no-distractors --question both --workers 2

Related: acc import, acc export, acc teach`,
    )
    .action(async (inputs: string[], flags: CompileFlags) => {
      const { seed, domain, redact, minFill, tokenizer } = flags;
      const workers = flags.workers ?? defaultWorkers();
      const repo = flags.repo === undefined ? undefined : gitRepository(flags.repo, "--repo");
      const db = flags.db === undefined ? undefined : sqliteDatabase(flags.db, "--db");
      const outDir = flags.out;
      // a run from stdin cannot be resumed: the input is gone once read
      if (!inputs.includes(STDIN)) setResumeHint(`rerun the same command to resume (progress is saved in ${outDir})`);
      // input bytes read while the inputs are imported; then trajectories against their count
      const progress = createProgress(io.stderr, "compile", { quiet: Boolean(flags.quiet) });
      const bytes = flags.quiet || !io.stderr.isTTY ? undefined : await inputBytes(inputs);
      const bytesRead = bytesReadFromNow();
      const runOptions: Parameters<typeof compileRun>[0] = {
        inputs,
        outDir,
        import: { ...(flags.format ? { format: flags.format } : {}), ...(domain ? { domain } : {}), redact },
        setup: {
          tokenizer,
          sample: {
            seed,
            lengths: parseLengths(flags.length),
            question: flags.question,
            distractors: flags.distractors,
            splitOversize: Boolean(flags.splitOversize),
            keepFailed: Boolean(flags.keepFailed),
            minFill,
          },
          sources: {
            ...(repo ? { repo } : {}),
            ...(db ? { db } : {}),
            maxTableChars: 2_000_000,
            maxDirectoryDistractors: 20,
          },
        },
        workers,
        poolMaxPieces: flags.poolPieces,
        poolMaxChars: flags.poolMb * 1_000_000,
        poolMaxPieceChars: 600_000,
        ...(flags.shard ? { shard: flags.shard } : {}),
        onProgress: (done, total, s) =>
          progress.update(total === undefined ? bytesRead() : done, `${done}${total ? `/${total}` : ""} trajectories, ${s.data.samples} samples, ${s.data.dropped} dropped`, total ?? bytes),
      };
      await claimOutputDir(outDir, { stage: "compile" }, { overwrite: Boolean(flags.overwrite), inputs });
      const stats = await compileRun(runOptions);
      progress.stop();
      io.stderr.write(`${compileSummary(stats, redact)}\nsamples: ${outDir}/samples.jsonl\n`);
      // a shard none of the input falls in has done all its work
      if (stats.data.samples === 0 && !(runOptions.shard && stats.data.read === 0)) throw nothingCompiled(stats, outDir);
    });
}

/** --tokenizer: a bundled name or a folder. */
function tokenizerName(value: string): string {
  if (!(BUNDLED_TOKENIZERS as readonly string[]).includes(value) && !existsSync(value)) throw new UsageError(`--tokenizer: "${value}" is not one of ${BUNDLED_TOKENIZERS.join(", ")} nor a folder`, { flag: "--tokenizer" });
  return value;
}

/** A compile that produced no sample: what was read, and why each was dropped. */
function nothingCompiled(stats: CompileStats, outDir: string): AccError {
  const d = stats.data;
  const reasons = new Map<string, number>();
  for (const domain of Object.values(d.domains)) for (const [reason, n] of Object.entries(domain.dropped)) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  if (d.import_rejected > 0) reasons.set("import-rejected", d.import_rejected);
  const why = [...reasons].map(([reason, n]) => `${reason}:${n}`).join(" ");
  const what = d.read === 0 ? "no trajectories in the inputs" : `no samples from ${d.read} trajectories (${why})`;
  return new AccError(what, { code: "no-records", fix: `see ${outDir}/rejects.jsonl for each one's file and reason` });
}

function parseLengths(specs: string[]): Record<Domain, LengthDistribution> {
  const lengths = { ...DEFAULT_LENGTHS };
  for (const spec of specs) {
    const [name, distribution] = spec.split(/=(.*)/s, 2);
    if (distribution === undefined) throw new UsageError(`--length expects DOMAIN=SPEC, got "${spec}"`);
    const domains = name === "all" ? Domain.options : [parseChoice(name!, "--length domain", Domain.options)];
    let parsed: LengthDistribution;
    try {
      parsed = parseLengthSpec(distribution);
    } catch (error) {
      throw new UsageError(`--length: ${(error as Error).message}`, { flag: "--length", cause: error });
    }
    for (const d of domains) lengths[d] = parsed;
  }
  return lengths;
}

export function compileSummary(stats: CompileStats, redact: RedactMode = "off"): string {
  const rows = Domain.options
    .filter((d) => stats.data.domains[d])
    .map((d) => {
      const s = stats.data.domains[d]!;
      const share = (n: number) => (s.prompt_tokens > 0 ? `${((100 * n) / s.prompt_tokens).toFixed(1)}%` : "-");
      const pct = (p: number) => (s.samples > 0 ? String(stats.percentile(d, p)) : "-");
      return [
        d,
        s.samples,
        Object.entries(s.dropped).map(([reason, n]) => `${reason}:${n}`).join(" ") || "-",
        s.samples > 0 ? String(s.prompt_tokens_min) : "-",
        pct(50),
        pct(90),
        s.samples > 0 ? String(s.prompt_tokens_max) : "-",
        share(s.evidence_tokens),
        share(s.distractor_tokens),
        s.samples > 0 ? `${(s.fill_sum / s.samples).toFixed(2)} / ${s.fill_min.toFixed(2)}` : "-",
        s.samples > 0 ? String(s.under_filled) : "-",
      ];
    });
  const table = renderTable(
    ["domain", "samples", "dropped", "min tokens", "p50 ≤", "p90 ≤", "max tokens", "evidence share", "distractor share", "fill mean / min", "under-filled"],
    rows,
  );
  const d = stats.data;
  const secrets = secretsSummary(d.secrets, d.trajectories_with_secrets, redact, d.evidence_secrets);
  return [table, `read ${d.read} = samples ${d.samples} + dropped ${d.dropped} + import rejects ${d.import_rejected}`, guardsSummary(stats), sourcesSummary(stats), secrets]
    .filter((line) => line !== "")
    .join("\n");
}

/** Where SWE files and SQL tables came from, when --repo or --db was given. */
function sourcesSummary(stats: CompileStats): string {
  const total = (pick: (d: (typeof stats.data.domains)[Domain] & object) => Record<string, number>) => {
    const sum: Record<string, number> = {};
    for (const d of Object.values(stats.data.domains)) for (const [key, n] of Object.entries(pick(d))) sum[key] = (sum[key] ?? 0) + n;
    return Object.entries(sum).map(([key, n]) => `${key} ${n}`).join(", ");
  };
  const bases = total((d) => d.repo_base);
  const statements = total((d) => d.sql_statements);
  return [
    bases ? `repository base commits: ${bases} (recorded-missing and unknown: files from the log, not the repository)` : "",
    statements ? `SQL statements read for tables: ${statements}` : "",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

/** Answer leaks cut and same-task distractors withheld, over all domains. */
function guardsSummary(stats: CompileStats): string {
  const domains = Object.values(stats.data.domains);
  const cut: Record<string, number> = {};
  for (const d of domains) for (const [kind, n] of Object.entries(d.answer_leaks_cut)) cut[kind] = (cut[kind] ?? 0) + n;
  const total = Object.values(cut).reduce((a, b) => a + b, 0);
  const inSamples = domains.reduce((n, d) => n + d.samples_with_leaks_cut, 0);
  const droppedForLeaks = domains.reduce((n, d) => n + (d.dropped["answer-in-evidence"] ?? 0), 0);
  const withheld = domains.reduce((n, d) => n + d.same_task_withheld, 0);
  const withheldIn = domains.reduce((n, d) => n + d.samples_with_same_task_withheld, 0);
  const kinds = Object.entries(cut).map(([kind, n]) => `${kind} ${n}`).join(", ");
  return [
    `answer leaks: ${total} pieces cut in ${inSamples} samples${total > 0 ? ` (${kinds})` : ""}, ${droppedForLeaks} samples dropped with the answer in their evidence`,
    `same-task distractors withheld: ${withheld} pool pieces from ${withheldIn} samples`,
  ].join("\n");
}
