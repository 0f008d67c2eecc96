import { existsSync } from "node:fs";
import { join } from "node:path";
import { AccError, UsageError } from "../errors/acc-error.js";
import { AtomicFile, writeFileAtomic } from "../io/atomic.js";
import { readLines } from "../io/lines.js";
import { z } from "zod";
import { requireJsonFile } from "../io/json-file.js";
import { MANIFEST_FILE, ORDER_FILE, type ShardManifest } from "./manifest.js";
import { statsText, sumStats } from "./stats.js";

/** What merging reads of a shard.json; other fields are kept as they are. */
const ShardManifestSchema: z.ZodType<ShardManifest> = z.looseObject({
  stage: z.string(),
  target: z.string().optional(),
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  run: z.string(),
  files: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()).optional(),
});

/** A JSON file of a finished shard (its manifest, stats, summary or report), or a usage error naming it: merge reads it whole. */
export function requireShardFile<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
  return requireJsonFile(path, schema, { code: "usage", what, fix: "rerun that shard's command (with its --shard i/N) to write it again" });
}

/** stats.json: counts by name, nested (see src/shard/stats.ts). */
const StatsSchema = z.record(z.string(), z.unknown());

export interface ShardFolder {
  dir: string;
  manifest: ShardManifest;
}

/** The folders' manifests, checked to be every shard of one run, each once; sorted by shard index. */
export async function readShards(dirs: readonly string[]): Promise<ShardFolder[]> {
  if (dirs.length === 0) throw new UsageError("acc merge needs the shard folders to merge", { fix: "name every shard's output folder, e.g. acc merge out/shard-* -o out/all" });
  const shards: ShardFolder[] = [];
  for (const dir of dirs) {
    const path = join(dir, MANIFEST_FILE);
    if (!existsSync(path)) {
      throw new UsageError(`${dir} holds no finished shard (no ${MANIFEST_FILE})`, { file: dir, fix: "rerun that shard's command (with its --shard i/N) until it finishes, then merge" });
    }
    const manifest = await requireShardFile(path, ShardManifestSchema, "a shard manifest");
    shards.push({ dir, manifest });
  }
  const first = shards[0]!.manifest;
  for (const { dir, manifest } of shards) {
    if (manifest.stage !== first.stage || manifest.target !== first.target || manifest.shard.count !== first.shard.count || manifest.run !== first.run) {
      throw new UsageError(`${dir} is a shard of another run than ${shards[0]!.dir} (${describe(manifest)} vs ${describe(first)}, or other inputs or settings)`, {
        file: dir,
        fix: "merge only the shards of one command, run with the same inputs and settings and the same N",
      });
    }
  }
  const byIndex = new Map<number, string>();
  for (const { dir, manifest } of shards) {
    const other = byIndex.get(manifest.shard.index);
    if (other !== undefined) throw new UsageError(`${other} and ${dir} are both shard ${manifest.shard.index}/${first.shard.count}`, { file: dir, fix: "name each shard's folder once" });
    byIndex.set(manifest.shard.index, dir);
  }
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new UsageError(`shards ${missing.map((i) => `${i}/${first.shard.count}`).join(", ")} are missing from the merge`, {
      fix: "run the missing shards and name every shard folder",
    });
  }
  return shards.sort((a, b) => a.manifest.shard.index - b.manifest.shard.index);
}

/**
 * Writes into `outDir` each JSONL output of the shards, its lines interleaved back into the order of the
 * whole input, and stats.json, the shards' stats added up: the files an unsharded run writes.
 */
export async function mergeShardFiles(shards: readonly ShardFolder[], outDir: string): Promise<void> {
  const order = await mergedOrder(shards);
  for (const [column, name] of shards[0]!.manifest.files.entries()) {
    if (!shards.some(({ dir }) => existsSync(join(dir, name)))) continue;
    const output = await AtomicFile.create(join(outDir, name));
    try {
      for await (const text of mergedLines(shards, order, column)) await output.write(`${text}\n`);
      await output.commit();
    } catch (error) {
      await output.abort();
      throw error;
    }
  }
  if (!existsSync(join(shards[0]!.dir, "stats.json"))) return;
  await writeFileAtomic(join(outDir, "stats.json"), statsText(await summedStats(shards)));
}

/** The shards' stats.json files added up. */
export async function summedStats(shards: readonly ShardFolder[]): Promise<unknown> {
  let stats: unknown;
  for (const { dir } of shards) stats = sumStats(stats, await requireShardFile(join(dir, "stats.json"), StatsSchema, "a stage's stats"));
  return stats;
}

/**
 * The lines of the manifest's `files[column]` across the shards, back in the order of the whole input;
 * a shard folder whose file disagrees with its order file is an error.
 */
export async function* mergedLines(shards: readonly ShardFolder[], order: readonly MergedRecord[], column: number): AsyncGenerator<string> {
  const name = shards[0]!.manifest.files[column]!;
  const lines = shards.map(({ dir }) => (existsSync(join(dir, name)) ? readLines(join(dir, name))[Symbol.asyncIterator]() : undefined));
  for (const { shard, counts } of order) {
    for (let n = 0; n < counts[column]!; n++) {
      const next = await lines[shard]?.next();
      if (!next || next.done || !("text" in next.value)) throw shortFile(shards[shard]!.dir, name);
      yield next.value.text;
    }
  }
  for (const [shard, iterator] of lines.entries()) if (iterator && !(await iterator.next()).done) throw shortFile(shards[shard]!.dir, name, "more lines than");
}

/** A record of a shard: its ordinal in the whole input, its shard, and the lines it has in each file. */
export interface MergedRecord {
  ordinal: number;
  shard: number;
  counts: number[];
}

/** Every record of every shard by its ordinal in the whole input, with the lines it has in each file. */
export async function mergedOrder(shards: readonly ShardFolder[]): Promise<MergedRecord[]> {
  const all: MergedRecord[] = [];
  for (const [shard, { dir, manifest }] of shards.entries()) {
    for await (const line of readLines(join(dir, ORDER_FILE))) {
      if (!("text" in line)) throw shortFile(dir, ORDER_FILE, "an unreadable line in");
      const entry = orderEntry(line.text, manifest.files.length);
      if (entry === undefined) {
        const path = join(dir, ORDER_FILE);
        throw new AccError(`${path} line ${line.line}: not [ordinal, then a line count for each of the ${manifest.files.length} files]: the shard folder was changed after its run`, {
          file: path,
          line: line.line,
          fix: "rerun that shard with --overwrite, then merge",
        });
      }
      all.push({ ordinal: entry[0]!, shard, counts: entry.slice(1) });
    }
  }
  return all.sort((a, b) => a.ordinal - b.ordinal || a.shard - b.shard);
}

/** A line of a shard's order file (orderLine in manifest.ts), or undefined when it is not one. */
function orderEntry(text: string, files: number): number[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Array.isArray(value) && value.length === files + 1 && value.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) ? (value as number[]) : undefined;
}

function shortFile(dir: string, name: string, what = "fewer lines than"): AccError {
  return new AccError(`${join(dir, name)} has ${what} ${join(dir, ORDER_FILE)} says: the shard folder was changed after its run`, {
    file: join(dir, name),
    fix: "rerun that shard with --overwrite, then merge",
  });
}

function describe(manifest: ShardManifest): string {
  return `${manifest.stage} shard ${manifest.shard.index}/${manifest.shard.count}`;
}
