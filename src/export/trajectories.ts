import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { AtomicFile } from "../io/atomic.js";
import { makeDirectory } from "../io/directory.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { readJsonLines } from "../import/probe.js";
import { AccError } from "../errors/acc-error.js";
import { Trajectory } from "../records/trajectory.js";
import { validateFast } from "../records/fast-validate.js";
import { formatProblems } from "../records/validate.js";
import type { Tokenizer } from "../tokenize/types.js";
import { trajectoryToAtif } from "./atif.js";
import { atifErrors } from "./atif-check.js";
import type { ReasoningMode } from "./rows.js";
import { type MaskMode, rowMessages, sftConversation } from "./sft.js";
import { tokenizeConversation } from "./tokenized.js";

export const TRAJECTORY_TARGETS = ["atif", "trl", "axolotl", "openai"] as const;
export type TrajectoryTarget = (typeof TRAJECTORY_TARGETS)[number];

export interface TrajectoryExportOptions {
  /** Trajectories JSONL files from `acc import` or `acc rollout`. */
  inputs: readonly string[];
  outDir: string;
  target: TrajectoryTarget;
  /** Which assistant turns are trained (SFT targets). Default `assistant`. */
  mask?: MaskMode;
  /** Where reasoning goes in SFT rows (ignored by `atif` and tokenized rows, which use the template's own place). */
  reasoning?: ReasoningMode;
  /** Rows of token ids and labels rendered with this tokenizer's chat template (SFT targets). */
  tokenizer?: Tokenizer;
  name?: string;
}

export interface TrajectoryExportStats {
  read: number;
  exported: number;
  rejected: number;
  /** Rows written (a trajectory gives several when tokenized rows are cut at user turns). */
  rows: number;
  files: string[];
}

const DATA_FILE: Record<TrajectoryTarget, string> = { atif: "trajectories.atif.jsonl", trl: "train.jsonl", axolotl: "train.jsonl", openai: "train.jsonl" };

/**
 * Writes trajectories in a target's format (one row per line) plus a README; a line that is not a
 * trajectory, or whose row fails the target's own schema, goes to rejects.jsonl with file, line and
 * reason. Nothing is left behind when no trajectory was exported.
 */
export async function exportTrajectories(options: TrajectoryExportOptions): Promise<TrajectoryExportStats> {
  await makeDirectory(options.outDir);
  const dataFile = DATA_FILE[options.target];
  const data = await AtomicFile.create(join(options.outDir, dataFile));
  let rejects: AtomicFile | undefined;
  const stats: TrajectoryExportStats = { read: 0, exported: 0, rejected: 0, rows: 0, files: [dataFile, "README.md"] };
  let firstReject: string | undefined;
  try {
    for (const file of options.inputs) {
      for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
        stats.read++;
        const row = "error" in line ? { ok: false as const, reason: line.detail } : toRows(line.value, options);
        if (!row.ok) {
          stats.rejected++;
          firstReject ??= `${file}:${line.line}: ${row.reason}`;
          rejects ??= await AtomicFile.create(join(options.outDir, "rejects.jsonl"));
          await rejects.write(`${JSON.stringify({ file, locator: { line: line.line }, reason: row.reason })}\n`);
          continue;
        }
        for (const value of row.values) await data.write(`${JSON.stringify(value)}\n`);
        stats.exported++;
        stats.rows += row.values.length;
      }
    }
    if (stats.exported === 0) {
      const where = options.inputs.length === 1 ? options.inputs[0]! : `${options.inputs.length} files`;
      throw new AccError(stats.read === 0 ? `no records in ${where}` : `no trajectories exported from ${where}: all ${stats.read} lines were refused, nothing was written (first: ${firstReject})`, {
        code: "no-records",
        fix: `--to ${options.target} reads trajectories JSONL from acc import or acc rollout`,
      });
    }
  } catch (error) {
    await Promise.all([data.abort(), rejects?.abort()]);
    throw error;
  }
  await Promise.all([data.commit(), rejects?.commit()]);
  if (rejects) stats.files.push("rejects.jsonl");
  const name = options.name ?? basename(options.outDir);
  await writeFile(join(options.outDir, "README.md"), options.target === "atif" ? atifCard(name, dataFile, stats.exported) : sftCard(name, dataFile, stats, options));
  return stats;
}

function toRows(value: unknown, options: TrajectoryExportOptions): { ok: true; values: unknown[] } | { ok: false; reason: string } {
  const checked = validateFast(Trajectory, value);
  if (!checked.ok) return { ok: false, reason: `not a valid trajectory: ${formatProblems(checked.problems)}` };
  const t = checked.value;
  if (options.target === "atif") {
    const doc = trajectoryToAtif(t);
    const errors = atifErrors(doc);
    // A trajectory acc cannot write as valid ATIF is a defect of the mapping; it is refused, never written half-valid.
    if (errors.length > 0) return { ok: false, reason: `trajectory ${t.id} does not map to valid ATIF: ${errors.slice(0, 3).join("; ")}` };
    return { ok: true, values: [doc] };
  }
  const conversation = sftConversation(t, options.mask ?? "assistant");
  if (!conversation.train.some(Boolean)) return { ok: false, reason: `trajectory ${t.id} has no assistant turn to train with --mask ${options.mask ?? "assistant"}` };
  if (options.tokenizer !== undefined) {
    try {
      const rows = tokenizeConversation(conversation, options.tokenizer);
      return {
        ok: true,
        values: rows.map((r, part) => ({
          id: rows.length > 1 ? `${t.id}#${part}` : t.id,
          input_ids: r.input_ids,
          labels: r.labels,
          loss_mask: r.loss_mask,
          ...(options.target === "trl" ? { assistant_masks: r.loss_mask } : {}),
        })),
      };
    } catch (error) {
      return { ok: false, reason: `trajectory ${t.id}: ${(error as Error).message}` };
    }
  }
  const reasoning = options.reasoning ?? "field";
  if (options.target === "openai") {
    const messages = rowMessages(conversation, reasoning, false).map((m, i) => (m.role === "assistant" ? { ...m, weight: conversation.train[i] ? 1 : 0 } : m));
    return { ok: true, values: [{ messages, ...(conversation.tools.length > 0 ? { tools: conversation.tools } : {}) }] };
  }
  const messages = rowMessages(conversation, reasoning, true).map((m, i) => (options.target === "axolotl" && m.role === "assistant" ? { ...m, training: conversation.train[i] } : m));
  return { ok: true, values: [{ id: t.id, messages, tools: conversation.tools, domain: t.domain }] };
}

/** The Hub's metadata block of a trajectories card: its tags and the one train split. */
function frontMatter(tags: readonly string[], dataFile: string): string {
  return `---
tags:
${tags.map((tag) => `- ${tag}\n`).join("")}configs:
- config_name: default
  data_files:
  - split: train
    path: ${dataFile}
---
`;
}

function atifCard(name: string, dataFile: string, count: number): string {
  return `${frontMatter(["agent-trajectories", "atif"], dataFile)}
# ${name}

${count} agent trajectories in Harbor's Agent Trajectory Interchange Format (ATIF-v1.7), one
document per line of \`${dataFile}\`, written by [acc](https://www.npmjs.com/package/agent-context-compiler)
and validated against ATIF's JSON Schema. Fields ATIF has no slot for are under \`extra.acc\`;
\`acc import ${dataFile}\` reads the same trajectories back.
`;
}

function sftCard(name: string, dataFile: string, stats: TrajectoryExportStats, options: TrajectoryExportOptions): string {
  const tokenized = options.tokenizer !== undefined;
  return `${frontMatter(["agent-trajectories", "multi-turn", "tool-use"], dataFile)}
# ${name}

${stats.exported} agent trajectories as ${stats.rows} multi-turn ${options.target} rows (\`${dataFile}\`), written by
[acc](https://www.npmjs.com/package/agent-context-compiler): system, user, assistant (with its tool calls
and reasoning) and tool messages, and the tools the agent had.

- Trained turns (\`--mask\`): ${options.mask ?? "assistant"}
- ${tokenized ? `Tokenized with ${options.tokenizer!.name}'s chat template: \`input_ids\`, \`labels\` (-100 where not trained), \`loss_mask\`` : `Reasoning: ${options.reasoning ?? "field"}`}
`;
}
