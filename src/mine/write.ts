import { join } from "node:path";
import { AtomicFile } from "../io/atomic.js";
import { MINE_SCHEMA_VERSION } from "../records/mine.js";
import type { MineResult } from "./run.js";

/** The files `acc mine` writes into its output directory. */
export const MINE_FILES = {
  prs: "prs.jsonl",
  links: "links.jsonl",
  chains: "chains.jsonl",
  stages: "stages.jsonl",
  manifest: "manifest.json",
} as const;

/** What `acc mine snapshot` needs to find the repository again, and the run's totals. */
export interface MineManifest {
  schema_version: string;
  repo: string;
  repo_path: string;
  ref: string;
  tip: string;
  stats: MineResult["stats"];
}

/**
 * Writes the records as JSONL (one file per record type, in the result's deterministic order) and a
 * manifest, each atomically: all files are complete before any is renamed into place.
 */
export async function writeMineOutputs(result: MineResult, dir: string): Promise<void> {
  const manifest: MineManifest = {
    schema_version: MINE_SCHEMA_VERSION,
    repo: result.repo,
    repo_path: result.repoPath,
    ref: result.ref,
    tip: result.tip,
    stats: result.stats,
  };
  const contents: [string, readonly unknown[] | string][] = [
    [MINE_FILES.prs, result.prs],
    [MINE_FILES.links, result.links],
    [MINE_FILES.chains, result.chains],
    [MINE_FILES.stages, result.stages],
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
