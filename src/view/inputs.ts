import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { OUTPUT_MARKER } from "../io/output-dir.js";

/** A JSON document larger than this is listed as not shown rather than read whole. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export interface InputGroup {
  /** How the overview names it: the folder, relative to the input given, or the file's folder. */
  name: string;
  stage?: string;
  /** Repository name of a mine folder (its manifest.json), for links between PRs. */
  repo?: string;
  records: string[];
  documents: string[];
  skipped: { file: string; why: string }[];
}

const RECORD_FILE = /\.(jsonl|ndjson)(\.gz)?$/i;

/**
 * The files `acc view` shows, grouped by folder: JSONL files (gzip too) as records, .json files as
 * documents (a stage's statistics, summary or manifest), anything else listed as not shown. Folders are
 * walked whole, except hidden entries (checkpoints, state files), the output folder and earlier sites.
 */
export async function collectInputs(inputs: readonly string[], outDir: string): Promise<InputGroup[]> {
  const groups = new Map<string, InputGroup>();
  const out = resolve(outDir);
  const groupOf = async (folder: string, name: string): Promise<InputGroup> => {
    let group = groups.get(folder);
    if (!group) {
      group = { name, records: [], documents: [], skipped: [], ...(await folderFacts(folder)) };
      groups.set(folder, group);
    }
    return group;
  };
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (!info) throw new UsageError(`${input} does not exist`, { file: input, fix: "give a file or folder acc wrote (acc import, compile, teach, rollout, mine, eval)" });
    if (info.isDirectory()) await walk(input, input, out, groupOf);
    else {
      const group = await groupOf(dirname(resolve(input)), dirname(input) === "." ? "inputs" : dirname(input));
      place(group, input, info.size);
    }
  }
  return [...groups.values()].filter((g) => g.records.length + g.documents.length + g.skipped.length > 0);
}

async function walk(root: string, folder: string, out: string, groupOf: (folder: string, name: string) => Promise<InputGroup>): Promise<void> {
  if (resolve(folder) === out || (await isSite(folder))) return;
  const entries = (await readdir(folder, { withFileTypes: true })).filter((e) => !e.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name));
  const name = relative(dirname(resolve(root)), resolve(folder)) || basename(resolve(folder));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isFile()) place(await groupOf(resolve(folder), name), path, (await stat(path)).size);
  }
  for (const entry of entries) if (entry.isDirectory()) await walk(root, join(folder, entry.name), out, groupOf);
}

/** A site acc view wrote earlier (its ownership marker says so): pages, not records to show. */
async function isSite(folder: string): Promise<boolean> {
  try {
    // eslint-disable-next-line no-restricted-syntax -- any marker that is not view's, or not JSON, means not a site
    return (JSON.parse(await readFile(join(folder, OUTPUT_MARKER), "utf8")) as { stage?: unknown }).stage === "view";
  } catch {
    return false;
  }
}

function place(group: InputGroup, path: string, size: number): void {
  if (RECORD_FILE.test(path)) group.records.push(path);
  else if (/\.json$/i.test(path)) {
    if (size <= MAX_DOCUMENT_BYTES) group.documents.push(path);
    else group.skipped.push({ file: basename(path), why: `a JSON document over ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB` });
  } else group.skipped.push({ file: basename(path), why: /\.parquet$/i.test(path) ? "Parquet: the same rows are in the JSONL beside it" : "not JSONL or JSON" });
}

/** The stage that wrote a folder (its ownership marker) and a mine folder's repository name. */
async function folderFacts(folder: string): Promise<{ stage?: string; repo?: string }> {
  const read = async (name: string) => {
    try {
      if ((await stat(join(folder, name))).size > MAX_DOCUMENT_BYTES) return undefined;
      // eslint-disable-next-line no-restricted-syntax -- facts shown only when present; anything else is no fact
      return JSON.parse(await readFile(join(folder, name), "utf8")) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const marker = await read(OUTPUT_MARKER);
  const manifest = await read("manifest.json");
  return {
    ...(typeof marker?.stage === "string" ? { stage: typeof marker.target === "string" ? `${marker.stage} (${marker.target})` : marker.stage } : {}),
    ...(typeof manifest?.repo === "string" ? { repo: manifest.repo } : {}),
  };
}
