import { dirname, join } from "node:path";
import { Command } from "commander";
import { DECONTAMINATE_MODES, DEFAULT_NGRAM, type DecontaminateReport, decontaminate } from "../../privacy/decontaminate.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { type CliIo, existingInputs, parseChoice, parseInteger } from "../io.js";
import { countLines } from "../../io/lines.js";
import { progressWithTotal } from "../progress.js";
import { shardFlag, shardOption } from "../shard-flag.js";
import { renderTable } from "../table.js";

export function decontaminateCommand(io: CliIo): Command {
  return new Command("decontaminate")
    .description("Drop or flag samples that share word n-grams with eval sets (MRCR, GraphWalks, or any text column)")
    .argument("<samples>", "samples JSONL from `acc compile` (gzip accepted; - reads stdin)")
    .requiredOption("--against <files...>", "eval files: MRCR or GraphWalks Parquet/JSONL, or any JSONL/Parquet with a text column; each is an eval set")
    .option("-o, --out <dir>", "output folder: samples.jsonl, contamination.jsonl, report.json (default: decontaminated/ beside the samples)")
    .option("--ngram <n>", "words per n-gram", String(DEFAULT_NGRAM))
    .option("--mode <mode>", "drop: leave overlapping samples out; flag: keep them, and list them in contamination.jsonl", "drop")
    .option("--column <name>", "text column of the eval files; without it MRCR and GraphWalks are recognised and other files use `text`")
    .option("--overwrite", "write into a folder holding another stage's outputs (they are removed first)")
    .addOption(shardFlag("samples by id"))
    .option("-q, --quiet", "no progress display")
    .addHelpText(
      "after",
      `
Examples:
  acc decontaminate out/compile/samples.jsonl --against 2needle/2needle_0.parquet graphwalks_128k_and_shorter.parquet
  acc decontaminate samples.jsonl --against heldout.jsonl --column question --mode flag -o checked/
  acc decontaminate samples.jsonl --against mrcr.parquet --ngram 8

Related: acc compile, acc eval`,
    )
    .action(async (samples: string, flags: Record<string, string | string[] | boolean | undefined>) => {
      const mode = parseChoice(String(flags.mode), "--mode", DECONTAMINATE_MODES);
      const ngram = parseInteger(String(flags.ngram), "--ngram");
      const outDir = (flags.out as string | undefined) ?? join(dirname(samples), "decontaminated");
      const against = flags.against as string[];
      existingInputs([samples]);
      existingInputs(against, "--against");
      await claimOutputDir(outDir, { stage: "decontaminate" }, { overwrite: Boolean(flags.overwrite), inputs: [samples, ...against] });
      const progress = await progressWithTotal(io.stderr, "decontaminate", Boolean(flags.quiet), () => countLines(samples));
      const report = await decontaminate({
        samples,
        against,
        outDir,
        ngram,
        mode,
        ...(flags.column !== undefined ? { column: String(flags.column) } : {}),
        ...shardOption(flags),
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
