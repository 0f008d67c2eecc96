import { Command, Option } from "commander";
import { exportSamples } from "../../export/run.js";
import { checkTrajectoryOptions, exportTrajectories, TRAJECTORY_TARGETS } from "../../export/trajectories.js";
import { checkReasoning, DEFAULT_REASONING, EXPORT_TARGETS } from "../../export/rows.js";
import { claimOutputDir } from "../../io/output-dir.js";
import { type CliIo, existingInputs } from "../io.js";
import { addOptions, choiceOption, outOption, overwriteOption, positiveIntegerOption } from "../options.js";
import { UsageError } from "../../errors/acc-error.js";
import { MASK_MODES } from "../../export/sft.js";
import { readJsonLines } from "../../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES } from "../../io/lines.js";
import { resolveTokenizer } from "../../tokenize/index.js";
import { type Shard, shardLabel } from "../../shard/partition.js";
import { type ShardFlags, shardFlag } from "../shard-flag.js";

const TARGETS = [...new Set([...EXPORT_TARGETS, ...TRAJECTORY_TARGETS])];
const REASONING_MODES = ["think", "field", "none"] as const;

interface ExportFlags extends ShardFlags {
  to: (typeof TARGETS)[number];
  out: string;
  mask?: (typeof MASK_MODES)[number];
  tokenized?: boolean;
  maskToolArgs?: boolean;
  maxTokens?: number;
  tokenizer?: string;
  reasoning?: (typeof REASONING_MODES)[number];
  name?: string;
  overwrite?: boolean;
}

export function exportCommand(io: CliIo): Command {
  const command = new Command("export")
    .description("Write compiled samples in a trainer's format (TRL, LLaMA-Factory, axolotl, OpenAI, Parquet), or trajectories as ATIF, multi-turn SFT rows, verl/slime RL rows or Hugging Face session traces, with a dataset card")
    .argument("<inputs...>", "samples JSONL (acc compile, acc teach), or trajectories JSONL (acc import, acc rollout); - reads stdin")
    .addOption(choiceOption("--to <target>", `one of ${TARGETS.join(", ")}`, TARGETS).makeOptionMandatory())
    .addOption(outOption("output folder: train.jsonl or train.parquet, README.md (dataset card)", { required: true }));
  return addOptions(command, [
    choiceOption("--mask <turns>", `trajectories: which assistant turns are trained, one of ${MASK_MODES.join(", ")} (default: assistant)`, MASK_MODES),
    new Option("--tokenized", "trajectories: rows of input_ids, labels and loss_mask: the ids the log recorded, else rendered with the tokenizer's chat template"),
    new Option("--mask-tool-args", "rows of token ids: the tool calls of trained turns (<tool_call> … </tool_call>: name and arguments) are not trained"),
    positiveIntegerOption("--max-tokens <n>", "with --tokenized (trl, axolotl, openai, parquet): cut rows over n tokens into pieces where a message starts (ids <trajectory id>#k)"),
    new Option("--tokenizer <spec>", "with --tokenized, verl, slime: qwen3 (default) or a folder with tokenizer.json and its chat template"),
    choiceOption("--reasoning <mode>", "think: <think>…</think> before the answer; field: reasoning_content (trl, axolotl, openai; trajectories as parquet); none (default for samples: none for openai, think otherwise; for trajectories: think for llamafactory, field otherwise)", REASONING_MODES),
    new Option("--name <name>", "dataset name for the card (default: the output folder's name)"),
    shardFlag("samples or trajectories by id"),
    overwriteOption("write into a folder holding another stage's or target's outputs (they are removed first)"),
  ])
    .addHelpText(
      "after",
      `
Examples:
  acc export out/compile/samples.jsonl --to trl -o out/trl
  acc export out/compile/samples.jsonl --to parquet -o out/hf --name my-acc-data
  acc export out/compile/samples.jsonl --to llamafactory -o out/lf
  acc export out/compile/samples.jsonl --to axolotl --reasoning field -o out/axolotl
  acc export out/import/trajectories.jsonl --to atif -o out/atif
  acc export out/import/trajectories.jsonl --to trl -o out/sft
  acc export out/import/trajectories.jsonl --to trl --tokenized --mask last -o out/sft-ids
  acc export out/import/trajectories.jsonl --to llamafactory -o out/lf-sft
  acc export out/import/trajectories.jsonl --to parquet -o out/hf-sft
  acc export out/import/trajectories.jsonl --to verl -o out/verl
  acc export out/import/trajectories.jsonl --to slime -o out/slime
  acc export out/import/trajectories.jsonl --to hf-traces -o out/hf-traces
  acc export out/rl-demo/trajectories.jsonl --to slime --shard 0/2 -o out/shards/slime-0

Related: acc compile, acc teach`,
    )
    .action(async (inputs: string[], flags: ExportFlags) => {
      const { to, reasoning, mask, maxTokens } = flags;
      existingInputs(inputs);
      const outDir = flags.out;
      const name = flags.name !== undefined ? { name: flags.name } : {};
      const shard = flags.shard ? { shard: flags.shard } : {};
      const trajectories = to === "atif" || (await firstRecordKind(inputs)) === "acc.trajectory";
      if (!trajectories && (flags.mask !== undefined || flags.tokenized || flags.maskToolArgs)) {
        throw new UsageError("--mask, --mask-tool-args and --tokenized apply to trajectories (from acc import or acc rollout), not to samples", { flag: flags.mask !== undefined ? "--mask" : flags.tokenized ? "--tokenized" : "--mask-tool-args", fix: "export trajectories JSONL, or drop the flag" });
      }
      if (trajectories) {
        // every samples target takes trajectories too
        const target = to as (typeof TRAJECTORY_TARGETS)[number];
        const withIds = Boolean(flags.tokenized) || target === "verl" || target === "slime";
        const maskToolArgs = Boolean(flags.maskToolArgs);
        checkTrajectoryOptions({ target, tokenized: Boolean(flags.tokenized) || target === "verl" || target === "slime", maskToolArgs, ...(maxTokens !== undefined ? { maxTokens } : {}), ...(mask ? { mask } : {}), ...(reasoning ? { reasoning } : {}) });
        const tokenizer = withIds ? await resolveTokenizer(flags.tokenizer ?? "qwen3") : undefined;
        await claimOutputDir(outDir, { stage: "export", target }, { overwrite: Boolean(flags.overwrite), inputs });
        const stats = await exportTrajectories({ inputs, outDir, target, ...(mask ? { mask } : {}), ...(reasoning ? { reasoning } : {}), ...(tokenizer ? { tokenizer } : {}), ...(maskToolArgs ? { maskToolArgs } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}), ...name, ...shard });
        if (shard.shard) return shardSummary(io, shard.shard, stats, outDir);
        const ids = withIds ? `; token ids: ${stats.tokenSources.recorded} rows recorded by the log, ${stats.tokenSources.tokenizer} tokenized by acc${stats.partialRecorded > 0 ? ` (${stats.partialRecorded} trajectories had recorded ids on only some turns)` : ""}` : "";
        const secrets = target === "hf-traces" ? `; secrets redacted: ${Object.values(stats.redacted).reduce((a, b) => a + b, 0)}` : "";
        const refs = stats.subagentRefsKept ? `; ${stats.subagentRefsKept} sub-agent references with no file and no embedded sub-agent kept under extra.acc (Harbor refuses them as references)` : "";
        io.stderr.write(`read ${stats.read} = exported ${stats.exported} + rejected ${stats.rejected} (${stats.rows} ${target === "hf-traces" ? "sessions" : "rows"}${ids}${secrets}${refs})\nwrote ${stats.files.map((f) => `${outDir}/${f}`).join(", ")}\n`);
        return;
      }
      if (!(EXPORT_TARGETS as readonly string[]).includes(to)) {
        throw new UsageError(`--to ${to}: ${inputs[0]} holds samples, and ${to} is made from trajectories; samples export to ${EXPORT_TARGETS.join(", ")}`, {
          flag: "--to",
          fix: `export the trajectories the samples were compiled from (acc import or acc rollout output) with --to ${to}`,
        });
      }
      const target = to as (typeof EXPORT_TARGETS)[number];
      const samplesReasoning = reasoning ?? DEFAULT_REASONING[target];
      checkReasoning(target, samplesReasoning);
      await claimOutputDir(outDir, { stage: "export", target }, { overwrite: Boolean(flags.overwrite), inputs });
      const stats = await exportSamples({ inputs, outDir, target, reasoning: samplesReasoning, ...name, ...shard });
      if (shard.shard) return shardSummary(io, shard.shard, stats, outDir);
      io.stderr.write(
        `read ${stats.read} = exported ${stats.exported} + rejected ${stats.rejected}\nwrote ${stats.files.map((f) => `${outDir}/${f}`).join(", ")}\n`,
      );
    });
}

/** A shard's summary: its records, and that `acc merge` writes the target's files. */
function shardSummary(io: CliIo, shard: Shard, stats: { read: number; exported: number; rejected: number; files: string[] }, outDir: string): void {
  io.stderr.write(`shard ${shardLabel(shard)}: read ${stats.read} = exported ${stats.exported} + rejected ${stats.rejected}\nwrote ${stats.files.map((f) => `${outDir}/${f}`).join(", ")} (acc merge of every shard folder writes the export)\n`);
}

/** The `schema` of the first record of the first input (trajectories and samples are exported differently). */
async function firstRecordKind(inputs: readonly string[]): Promise<string | undefined> {
  if (inputs.length === 0) return undefined;
  for await (const line of readJsonLines(inputs[0]!, DEFAULT_MAX_LINE_BYTES)) {
    if ("error" in line) continue;
    const value = line.value as { schema?: unknown } | null;
    return typeof value?.schema === "string" ? value.schema : undefined;
  }
  return undefined;
}
