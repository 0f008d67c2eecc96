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
import { trajectoryToAtif } from "./atif.js";
import { atifErrors } from "./atif-check.js";

export const TRAJECTORY_TARGETS = ["atif"] as const;
export type TrajectoryTarget = (typeof TRAJECTORY_TARGETS)[number];

export interface TrajectoryExportOptions {
  /** Trajectories JSONL files from `acc import` or `acc rollout`. */
  inputs: readonly string[];
  outDir: string;
  target: TrajectoryTarget;
  name?: string;
}

export interface TrajectoryExportStats {
  read: number;
  exported: number;
  rejected: number;
  files: string[];
}

const DATA_FILE: Record<TrajectoryTarget, string> = { atif: "trajectories.atif.jsonl" };

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
  const stats: TrajectoryExportStats = { read: 0, exported: 0, rejected: 0, files: [dataFile, "README.md"] };
  let firstReject: string | undefined;
  try {
    for (const file of options.inputs) {
      for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
        stats.read++;
        const row = "error" in line ? { ok: false as const, reason: line.detail } : toRow(line.value);
        if (!row.ok) {
          stats.rejected++;
          firstReject ??= `${file}:${line.line}: ${row.reason}`;
          rejects ??= await AtomicFile.create(join(options.outDir, "rejects.jsonl"));
          await rejects.write(`${JSON.stringify({ file, locator: { line: line.line }, reason: row.reason })}\n`);
          continue;
        }
        await data.write(`${JSON.stringify(row.value)}\n`);
        stats.exported++;
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
  await writeFile(join(options.outDir, "README.md"), atifCard(options.name ?? basename(options.outDir), dataFile, stats.exported));
  return stats;
}

function toRow(value: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  const checked = validateFast(Trajectory, value);
  if (!checked.ok) return { ok: false, reason: `not a valid trajectory: ${formatProblems(checked.problems)}` };
  const doc = trajectoryToAtif(checked.value);
  const errors = atifErrors(doc);
  // A trajectory acc cannot write as valid ATIF is a defect of the mapping; it is refused, never written half-valid.
  if (errors.length > 0) return { ok: false, reason: `trajectory ${checked.value.id} does not map to valid ATIF: ${errors.slice(0, 3).join("; ")}` };
  return { ok: true, value: doc };
}

function atifCard(name: string, dataFile: string, count: number): string {
  return `---
tags:
- agent-trajectories
- atif
configs:
- config_name: default
  data_files:
  - split: train
    path: ${dataFile}
---

# ${name}

${count} agent trajectories in Harbor's Agent Trajectory Interchange Format (ATIF-v1.7), one
document per line of \`${dataFile}\`, written by [acc](https://www.npmjs.com/package/agent-context-compiler)
and validated against ATIF's JSON Schema. Fields ATIF has no slot for are under \`extra.acc\`;
\`acc import ${dataFile}\` reads the same trajectories back.
`;
}
