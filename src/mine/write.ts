import { join } from "node:path";
import { AtomicFile } from "../io/atomic.js";
import { MINE_SCHEMA_VERSION } from "../records/mine-enums.js";
import type { MineResult } from "./run.js";

/** The files `acc mine` writes into its output directory. */
export const MINE_FILES = {
  prs: "prs.jsonl",
  links: "links.jsonl",
  chains: "chains.jsonl",
  stages: "stages.jsonl",
  rejects: "rejects.jsonl",
  manifest: "manifest.json",
} as const;

/** What `acc mine snapshot` needs to find the repository again, what the run could and could not see, and its totals. */
export interface MineManifest {
  schema_version: string;
  repo: string;
  repo_path: string;
  ref: string;
  tip: string;
  /** complete: false for a shallow clone mined with --allow-shallow (cut_commits: how many commits lost their parents). */
  history: { complete: boolean; cut_commits: number };
  /** Whether FAIL_TO_PASS / PASS_TO_PASS were measured, and what their empty lists mean when not. */
  tests: { run: boolean; note: string };
  stats: MineResult["stats"];
}

/** The manifest of a run. */
export function mineManifest(result: MineResult): MineManifest {
  return {
    schema_version: MINE_SCHEMA_VERSION,
    repo: result.repo,
    repo_path: result.repoPath,
    ref: result.ref,
    tip: result.tip,
    history: { complete: result.shallowBoundary === 0, cut_commits: result.shallowBoundary },
    tests: result.testsRun
      ? { run: true, note: "FAIL_TO_PASS and PASS_TO_PASS come from running --test-cmd before and after each gold patch" }
      : { run: false, note: "no --test-cmd was given: FAIL_TO_PASS and PASS_TO_PASS are empty lists, not measured" },
    stats: result.stats,
  };
}

/**
 * Writes the records as JSONL (one file per record type, in the result's deterministic order) and a
 * manifest, each atomically: all files are complete before any is renamed into place.
 */
export async function writeMineOutputs(result: MineResult, dir: string): Promise<void> {
  const manifest = mineManifest(result);
  const contents: [string, readonly unknown[] | string][] = [
    [MINE_FILES.prs, result.prs],
    [MINE_FILES.links, result.links],
    [MINE_FILES.chains, result.chains],
    [MINE_FILES.stages, result.stages],
    [MINE_FILES.rejects, result.rejects],
    [MINE_FILES.manifest, `${JSON.stringify(manifest, null, 2)}\n`],
  ];
  const files: AtomicFile[] = [];
  try {
    for (const [name, records] of contents) {
      const file = await AtomicFile.create(join(dir, name));
      files.push(file);
      if (typeof records === "string") await file.write(records);
      else for (const record of records) await file.write(`${JSON.stringify(record)}\n`);
    }
  } catch (error) {
    await Promise.all(files.map((file) => file.abort()));
    throw error;
  }
  for (const file of files) await file.commit();
}
