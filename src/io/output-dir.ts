import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { writeFileAtomic } from "./atomic.js";
import { trackMarker } from "./cleanup.js";
import { makeDirectory } from "./directory.js";

/** The file that says which stage (and target) an output folder belongs to. */
export const OUTPUT_MARKER = ".acc-output.json";

export interface OutputOwner {
  /** The stage writing the folder: "compile", "export", … */
  stage: string;
  /** What the stage writes, when one stage can write different things into one folder (export's --to). */
  target?: string;
}

export interface ClaimOptions {
  /** Replace what the folder holds from another stage or target (or an earlier run of this one). */
  overwrite: boolean;
  /** The run's input files: never removed, and never in the way of an output. */
  inputs?: readonly string[];
}

/**
 * Makes `dir` the output folder of `owner`. A new or empty folder, or one this stage (and target) wrote
 * before (a rerun, which resumes), is taken as it is. A folder holding another stage's or target's
 * outputs, or files acc did not write, is refused unless `overwrite`; then the files of the earlier acc
 * run are removed first, so nothing of it is left beside the new outputs (in a folder acc did not make,
 * nothing is removed: only files with the names this stage writes are replaced).
 */
export async function claimOutputDir(dir: string, owner: OutputOwner, options: ClaimOptions): Promise<void> {
  await makeDirectory(dir);
  const entries = (await readdir(dir)).filter((name) => name !== OUTPUT_MARKER).sort();
  const previous = await readOwner(dir);
  const same = previous !== undefined && previous.stage === owner.stage && previous.target === owner.target;
  if (entries.length > 0 && (!same || options.overwrite)) {
    const inputs = (options.inputs ?? []).filter((input) => input !== "-" && isInside(dir, input));
    if (!same && !options.overwrite) {
      const holds = previous ? `the outputs of ${describe(previous)}` : "files acc did not write";
      throw new UsageError(`${dir} holds ${holds} (${list(entries)}); acc ${describe(owner)} will not mix its outputs with them`, {
        code: "output-in-use",
        fix: `choose another output folder, or pass --overwrite to ${previous ? "replace them" : "write there anyway"}`,
      });
    }
    if (inputs.length > 0) {
      throw new UsageError(`${dir} holds an input of this run (${inputs.join(", ")}); --overwrite would remove or replace it`, {
        code: "output-in-use",
        fix: "choose another output folder",
      });
    }
    if (previous) await removeFiles(dir, entries);
  }
  if (!same) await writeFileAtomic(join(dir, OUTPUT_MARKER), `${JSON.stringify(owner)}\n`);
  trackMarker(join(dir, OUTPUT_MARKER));
}

async function readOwner(dir: string): Promise<OutputOwner | undefined> {
  try {
    // eslint-disable-next-line no-restricted-syntax -- every command reads the marker, mine and eval load no zod; its two fields are checked here
    const value = JSON.parse(await readFile(join(dir, OUTPUT_MARKER), "utf8")) as Partial<OutputOwner>;
    if (typeof value.stage !== "string") return undefined;
    return { stage: value.stage, ...(typeof value.target === "string" ? { target: value.target } : {}) };
  } catch {
    return undefined;
  }
}

/** The earlier run's files; folders in it are not acc's and stay. */
async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) await rm(path);
  }
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(resolve(dir), resolve(file));
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}

function describe(owner: OutputOwner): string {
  return owner.target === undefined ? owner.stage : `${owner.stage} --to ${owner.target}`;
}

function list(names: readonly string[]): string {
  return names.length <= 4 ? names.join(", ") : `${names.slice(0, 4).join(", ")} and ${names.length - 4} more`;
}
