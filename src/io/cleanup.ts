import { AsyncLocalStorage } from "node:async_hooks";
import { readdirSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { rm, rmdir, stat } from "node:fs/promises";

/**
 * What a run leaves behind if it stops half-way: temporary files (removed on every exit path) and the
 * folders it created (removed on failure when they are still empty). A CLI command runs inside
 * `withCleanup`; a signal handler calls `removeLeftoversSync`. Files a resumed run needs (the
 * `.partial` outputs and checkpoints of compile, teach, rollout) are not temporary: they are kept,
 * except, when the run fails, a `.partial` output it started that is still empty (a run that failed
 * before writing anything, such as a tokenizer that does not load, leaves no file behind). An
 * interrupted run keeps them: it was told to resume there.
 */
interface Scope {
  temps: Set<string>;
  /** Resumable outputs this run started afresh: removed on failure when still empty. */
  fresh: Set<string>;
  /** Temporary folders (a site being built): removed with everything in them. */
  tempDirs: Set<string>;
  dirs: string[];
  /** Files that say who owns an output folder: removed with the folder when it holds nothing else. */
  markers: string[];
}

const storage = new AsyncLocalStorage<Scope>();
/** Work outside any `withCleanup` (library use): still removed by a signal handler. */
const outside: Scope = { temps: new Set(), fresh: new Set(), tempDirs: new Set(), dirs: [], markers: [] };
const live = new Set<Scope>([outside]);

/**
 * The scope that started while no other ran, if it still runs: its work runs without AsyncLocalStorage,
 * whose promise hooks, once on, cost every promise of the process (~3–4 µs a sample in teach, measured).
 * A CLI command is always this scope. Scopes started while it runs go through AsyncLocalStorage; a context
 * with no store is then this scope's (work started outside any scope meanwhile counts as its too).
 */
let alone: Scope | undefined;

const current = (): Scope => storage.getStore() ?? alone ?? outside;

/** Records a temporary file; call the returned function once it is renamed into place or removed. */
export function trackTemp(path: string): () => void {
  const scope = current();
  scope.temps.add(path);
  return () => scope.temps.delete(path);
}

/** Records a temporary folder; call the returned function once its contents are moved into place or removed. */
export function trackTempDir(path: string): () => void {
  const scope = current();
  scope.tempDirs.add(path);
  return () => scope.tempDirs.delete(path);
}

/** Records a resumable output started afresh (see ResumableFile); call the returned function once it is renamed into place. */
export function trackFreshOutput(path: string): () => void {
  const scope = current();
  scope.fresh.add(path);
  return () => scope.fresh.delete(path);
}

/** Records a folder this run created (see makeDirectory). */
export function trackCreatedDir(path: string): void {
  current().dirs.push(path);
}

/** Records a file that only describes an output folder (its owner, see output-dir.ts; a run's settings). */
export function trackMarker(path: string): void {
  current().markers.push(path);
}

/**
 * Runs `work`; whatever happens, its temporary files are removed afterwards, and when it fails the
 * folders it created are removed too if nothing else is in them.
 */
export async function withCleanup<T>(work: () => Promise<T>): Promise<T> {
  const scope: Scope = { temps: new Set(), fresh: new Set(), tempDirs: new Set(), dirs: [], markers: [] };
  // only `outside` is live: no other scope runs
  const first = live.size === 1;
  live.add(scope);
  let failed = true;
  try {
    const result = first ? await runAlone(scope, work) : await storage.run(scope, work);
    failed = false;
    return result;
  } finally {
    await Promise.all([...scope.temps].map((path) => rm(path, { force: true })));
    await Promise.all([...scope.tempDirs].map((path) => rm(path, { recursive: true, force: true })));
    if (failed) {
      await Promise.all([...scope.fresh].map(async (path) => ((await stat(path).catch(() => undefined))?.size === 0 ? rm(path, { force: true }) : undefined)));
      for (const marker of markersLeftAlone(scope.markers)) await rm(marker, { force: true });
      for (const dir of [...scope.dirs].reverse()) await rmdir(dir).catch(() => {});
    }
    live.delete(scope);
  }
}

async function runAlone<T>(scope: Scope, work: () => Promise<T>): Promise<T> {
  alone = scope;
  try {
    return await work();
  } finally {
    alone = undefined;
  }
}

/** For signal handlers: removes every tracked temporary file and every created folder left empty, now. */
export function removeLeftoversSync(): void {
  for (const scope of live) {
    for (const path of scope.temps) rmSync(path, { force: true });
    scope.temps.clear();
    for (const path of scope.tempDirs) rmSync(path, { recursive: true, force: true });
    scope.tempDirs.clear();
    for (const marker of markersLeftAlone(scope.markers)) rmSync(marker, { force: true });
    for (const dir of [...scope.dirs].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty (it holds what a resumed run needs) or already gone
      }
    }
  }
}

/** The markers whose folder holds nothing else (so the folder holds nothing a user could want). */
function markersLeftAlone(markers: readonly string[]): string[] {
  const byFolder = new Map<string, Set<string>>();
  for (const marker of markers) {
    const names = byFolder.get(dirname(marker)) ?? new Set<string>();
    byFolder.set(dirname(marker), names.add(basename(marker)));
  }
  return [...byFolder].flatMap(([folder, names]) => {
    try {
      return readdirSync(folder).every((entry) => names.has(entry)) ? [...names].map((name) => join(folder, name)) : [];
    } catch {
      return [];
    }
  });
}
