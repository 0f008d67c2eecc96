import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { glob } from "tinyglobby";
import { statInput } from "../io/stdin.js";

export type InputUnit = { kind: "file"; path: string } | { kind: "directory"; path: string };

/**
 * Expands the user's arguments (files, directories, globs) into a sorted, de-duplicated list of units.
 * A directory that `isUnit` claims (e.g. an OpenHands conversation folder) is imported whole;
 * other directories are walked. Hidden entries are skipped in walks.
 */
export async function expandInputs(
  args: readonly string[],
  isUnit: (directory: string) => Promise<boolean>,
): Promise<{ units: InputUnit[]; missing: string[] }> {
  const units: InputUnit[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const add = (unit: InputUnit) => {
    if (seen.has(unit.path)) return;
    seen.add(unit.path);
    units.push(unit);
  };

  async function walk(path: string): Promise<void> {
    if (await isUnit(path)) return add({ kind: "directory", path });
    for (const name of (await readdir(path)).sort()) {
      if (name.startsWith(".")) continue;
      const child = join(path, name);
      const info = await stat(child);
      if (info.isDirectory()) await walk(child);
      else if (info.isFile()) add({ kind: "file", path: child });
    }
  }

  for (const arg of args) {
    const info = await statInput(arg).catch(() => undefined);
    if (info?.isDirectory()) await walk(arg);
    else if (info?.isFile()) add({ kind: "file", path: arg });
    else if (/[*?[{]/.test(arg)) {
      const matches = (await glob(arg, { onlyFiles: false, expandDirectories: false })).sort();
      if (matches.length === 0) missing.push(arg);
      for (const match of matches) {
        if ((await stat(match)).isDirectory()) await walk(match);
        else add({ kind: "file", path: match });
      }
    } else missing.push(arg);
  }
  return { units, missing };
}
