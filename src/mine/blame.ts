import type { Git } from "./git.js";

export const BLAME_IGNORE_REVS_FILE = ".git-blame-ignore-revs";

/** Inclusive 1-based line range. */
export interface LineRange {
  start: number;
  end: number;
}

/**
 * The commit each line of `ranges` comes from, blaming `path` as of `rev`: one `git blame --porcelain`
 * for all ranges of the file, whitespace changes ignored (-w), following only first parents (so every
 * origin is a mainline commit), and skipping the commits listed in `ignoreRevsFile`.
 * Returns final line number → origin sha.
 */
export async function blameLines(
  git: Git,
  rev: string,
  path: string,
  ranges: readonly LineRange[],
  ignoreRevsFile: string | undefined,
): Promise<Map<number, string>> {
  const args = ["blame", "--porcelain", "-w", "--first-parent"];
  if (ignoreRevsFile !== undefined) args.push("--ignore-revs-file", ignoreRevsFile);
  for (const range of ranges) args.push("-L", `${range.start},${range.end}`);
  args.push(rev, "--", path);
  return parsePorcelain(await git.text(args));
}

/**
 * Parses `git blame --porcelain`: each group starts "<sha> <orig line> <final line> [<count>]", is followed
 * by key/value lines (only on a commit's first appearance) and ends with the line's content after a TAB.
 */
export function parsePorcelain(text: string): Map<number, string> {
  const origins = new Map<number, string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    if (text.charCodeAt(start) !== 9 /* TAB: content */) {
      const header = /^([0-9a-f]{40,64}) \d+ (\d+)/.exec(text.slice(start, Math.min(end, start + 100)));
      if (header) origins.set(Number(header[2]), header[1]!);
    }
    start = end + 1;
  }
  return origins;
}

/** Commit shas listed in an ignore-revs file: one full sha per line, `#` starts a comment. */
export function parseIgnoreRevs(text: string): string[] {
  const shas: string[] = [];
  for (const line of text.split("\n")) {
    const value = line.replace(/#.*/, "").trim();
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(value)) shas.push(value.toLowerCase());
  }
  return shas;
}

/** The ignore-revs file committed at `ref`, or undefined when the repository has none. */
export async function readIgnoreRevs(git: Git, ref: string): Promise<string[] | undefined> {
  const spec = `${ref}:${BLAME_IGNORE_REVS_FILE}`;
  if ((await git.status(["cat-file", "-e", spec])) !== 0) return undefined;
  return parseIgnoreRevs(await git.text(["cat-file", "blob", spec]));
}
