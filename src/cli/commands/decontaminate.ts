import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import { DECONTAMINATE_MODES, DEFAULT_NGRAM, type DecontaminateReport, decontaminate } from "../../privacy/decontaminate.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { setResumeHint } from "../interrupt.js";
import { type CliIo, existingInputs } from "../io.js";
import { addOptions, choiceOption, type OverwriteQuietFlags, outOption, overwriteOption, positiveIntegerOption, quietOption } from "../options.js";
import { countLines } from "../../io/lines.js";
import { progressWithTotal } from "../progress.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";
import { renderTable } from "../table.js";

interface DecontaminateFlags extends ShardFlags, OverwriteQuietFlags {
  against: string[];
  out?: string;
  ngram: number;
  mode: (typeof DECONTAMINATE_MODES)[number];
  column?: string;
}

export function decontaminateCommand(io: CliIo): Command {
  return addOptions(
    new Command("decontaminate")
      .description("Drop or flag samples that share word n-grams with eval sets (MRCR, GraphWalks, or any text column)")
      .argument("<samples>", "samples JSONL from `acc compile` (gzip accepted; - reads stdin)"),
    [
      new Option("--against <files...>", "eval files: MRCR or GraphWalks Parquet/JSONL, or any JSONL/Parquet with a text column; each is an eval set").makeOptionMandatory(),
      outOption("output folder: samples.jsonl, contamination.jsonl, report.json (default: decontaminated/ beside the samples)"),
      positiveIntegerOption("--ngram <n>", "words per n-gram", DEFAULT_NGRAM),
      choiceOption("--mode <mode>", "drop: leave overlapping samples out; flag: keep them, and list them in contamination.jsonl", DECONTAMINATE_MODES, "drop"),
      new Option("--column <name>", "text column of the eval files; without it MRCR and GraphWalks are recognised and other files use `text`"),
      overwriteOption(),
      shardFlag("samples by id"),
      quietOption(),
    ],
  )
    .addHelpText(
      "after",
      `
Examples:
  acc decontaminate out/compile/samples.jsonl --against 2needle/2needle_0.parquet graphwalks_128k_and_shorter.parquet
  acc decontaminate samples.jsonl --against heldout.jsonl --column question --mode flag -o checked/
  acc decontaminate samples.jsonl --against mrcr.parquet --ngram 8

Related: acc compile, acc eval`,
    )
    .action(async (samples: string, flags: DecontaminateFlags) => {
      const { mode, ngram, against } = flags;
      const outDir = flags.out ?? join(dirname(samples), "decontaminated");
      existingInputs([samples]);
      existingInputs(against, "--against");
      await claimOutputDir(outDir, { stage: "decontaminate" }, { overwrite: Boolean(flags.overwrite), inputs: [samples, ...against] });
      setResumeHint(`rerun the same command to resume (progress is saved in ${outDir})`);
      const progress = await progressWithTotal(io.stderr, "decontaminate", Boolean(flags.quiet), () => countLines(samples));
      const report = await decontaminate({
        samples,
        against,
        outDir,
        ngram,
        mode,
        ...(flags.column !== undefined ? { column: flags.column } : {}),
        ...(flags.shard ? { shard: flags.shard } : {}),
        onIndexed: (set) => progress.update(0, `indexed ${set.file}: ${set.items} items, ${set.ngrams} n-grams`),
        onProgress: (read) => progress.update(read, `${read} samples checked`),
      });
      progress.stop();
      io.stderr.write(`${decontaminationSummary(report)}\noutputs: ${outDir}/samples.jsonl, contamination.jsonl, report.json\n`);
    });
}

export function decontaminationSummary(report: DecontaminateReport): string {
  const rows = report.eval_sets.map((s) => [s.file, s.column ? `column ${s.column}` : s.kind, s.items, s.ngrams, s.samples_hit, s.ngrams_matched]);
  const table = renderTable(["eval set", "read as", "items", `${report.ngram}-grams`, "samples hit", "n-grams matched"], rows);
  const outcome = report.mode === "drop" ? `dropped ${report.dropped}` : `flagged ${report.flagged}`;
  return `${table}\nread ${report.read} = kept ${report.kept} + ${outcome}`;
}
