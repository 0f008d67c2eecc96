import { Command } from "commander";
import { exportSamples } from "../../export/run.js";
import { exportTrajectories, TRAJECTORY_TARGETS } from "../../export/trajectories.js";
import { checkReasoning, DEFAULT_REASONING, EXPORT_TARGETS } from "../../export/rows.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { type CliIo, parseChoice } from "../io.js";

export function exportCommand(io: CliIo): Command {
  return new Command("export")
    .description("Write compiled samples in a trainer's format (TRL, LLaMA-Factory, axolotl, OpenAI, Parquet), or trajectories as ATIF, with a dataset card")
    .argument("<inputs...>", "samples JSONL (acc compile, acc teach), or trajectories JSONL (acc import) for --to atif; - reads stdin")
    .requiredOption("--to <target>", `one of ${[...EXPORT_TARGETS, ...TRAJECTORY_TARGETS].join(", ")}`)
    .requiredOption("-o, --out <dir>", "output folder: train.jsonl or train.parquet, README.md (dataset card)")
    .option("--reasoning <mode>", "think: <think>…</think> before the answer; field: reasoning_content (trl, axolotl, openai); none (default: none for openai, think otherwise)")
    .option("--name <name>", "dataset name for the card (default: the output folder's name)")
    .option("--overwrite", "write into a folder holding another stage's or target's outputs (they are removed first)")
    .addHelpText(
      "after",
      `
Examples:
  acc export out/compile/samples.jsonl --to trl -o out/trl
  acc export out/compile/samples.jsonl --to parquet -o out/hf --name my-acc-data
  acc export out/compile/samples.jsonl --to llamafactory -o out/lf
  acc export out/compile/samples.jsonl --to axolotl --reasoning field -o out/axolotl
  acc export out/import/trajectories.jsonl --to atif -o out/atif

Related: acc compile, acc teach`,
    )
    .action(async (samples: string[], flags: Record<string, string | undefined>) => {
      const to = parseChoice(String(flags.to), "--to", [...EXPORT_TARGETS, ...TRAJECTORY_TARGETS] as const);
      if (to === "atif") {
        const outDir = String(flags.out);
        await claimOutputDir(outDir, { stage: "export", target: to }, { overwrite: Boolean(flags.overwrite), inputs: samples });
        const stats = await exportTrajectories({ inputs: samples, outDir, target: to, ...(flags.name ? { name: flags.name } : {}) });
        io.stderr.write(`read ${stats.read} = exported ${stats.exported} + rejected ${stats.rejected}\nwrote ${stats.files.map((f) => `${outDir}/${f}`).join(", ")}\n`);
        return;
      }
      const target = to;
      const reasoning = flags.reasoning === undefined ? DEFAULT_REASONING[target] : parseChoice(flags.reasoning, "--reasoning", ["think", "field", "none"] as const);
      checkReasoning(target, reasoning);
      const outDir = String(flags.out);
      await claimOutputDir(outDir, { stage: "export", target }, { overwrite: Boolean(flags.overwrite), inputs: samples });
      const stats = await exportSamples({ inputs: samples, outDir, target, reasoning, ...(flags.name ? { name: flags.name } : {}) });
      io.stderr.write(
        `read ${stats.read} = exported ${stats.exported} + rejected ${stats.rejected}\nwrote ${stats.files.map((f) => `${outDir}/${f}`).join(", ")}\n`,
      );
    });
}
