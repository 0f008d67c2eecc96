import { isUtf8 } from "node:buffer";
import type { Git } from "./git.js";
import { isTestPath, splitPatch } from "./test-paths.js";

export interface StagePatch {
  patch: string;
  test_patch: string;
  /** Paths of the files the test patch touches. */
  testFiles: string[];
  /** Every line the whole diff adds (code and tests), for the leak check. */
  addedLines: string[];
}

/**
 * The gold diff of each stage (base → merge) from a local diff with binary files included (unlike
 * GitHub's .diff), split into code and test patches; undefined for a diff that is not UTF-8 text, which
 * JSON strings cannot carry byte for byte. One `git diff-tree --stdin --always -z --numstat -p --binary`
 * for all pairs: it reads "<commit> <parent>" lines and prints, per line, the commit's sha + NUL, the
 * NUL-terminated numstat rows of parent → commit, a NUL, then the patch.
 */
export async function readStagePatches(git: Git, pairs: readonly (readonly [string, string])[]): Promise<(StagePatch | undefined)[]> {
  if (pairs.length === 0) return [];
  const args = ["diff-tree", "--stdin", "--always", "-z", "--numstat", "-p", "--binary", "--no-renames", "--no-ext-diff", "--no-textconv"];
  const output = await git.output(args, { input: pairs.map(([base, merge]) => `${merge} ${base}\n`).join("") });
  const fail = (message: string): never => {
    throw new Error(`cannot parse \`git diff-tree --stdin -z --numstat -p\` output in ${git.repo}: ${message}`);
  };
  const patches: (StagePatch | undefined)[] = [];
  let pos = 0;
  for (const [base, merge] of pairs) {
    const headerEnd = output.indexOf(0, pos);
    if (headerEnd === -1 || output.toString("latin1", pos, headerEnd) !== merge) fail(`expected the diff of ${base}..${merge} at byte ${pos}`);
    pos = headerEnd + 1;
    const paths: string[] = [];
    for (let end = output.indexOf(0, pos); end !== -1 && output.subarray(pos, end).includes(9 /* TAB */); end = output.indexOf(0, pos)) {
      const row = output.toString("utf8", pos, end);
      paths.push(row.slice(row.indexOf("\t", row.indexOf("\t") + 1) + 1));
      pos = end + 1;
    }
    if (paths.length === 0) {
      patches.push({ patch: "", test_patch: "", testFiles: [], addedLines: [] });
      continue;
    }
    if (output[pos] !== 0) fail(`no patch after the numstat rows of ${base}`);
    pos++;
    // A patch holds no NUL: the next NUL ends the next pair's header, which starts after the last newline.
    const nextHeader = output.indexOf(0, pos);
    const end = nextHeader === -1 ? output.length : output.lastIndexOf(0x0a, nextHeader) + 1;
    const bytes = output.subarray(pos, end);
    pos = end;
    if (!isUtf8(bytes)) {
      patches.push(undefined);
      continue;
    }
    const patch = bytes.toString("utf8");
    patches.push({ ...splitPatch(patch, paths), testFiles: paths.filter(isTestPath), addedLines: addedLinesOf(patch) });
  }
  if (pos !== output.length) fail(`unexpected output after the last diff`);
  return patches;
}

/** The `+` lines inside hunks (not the `+++` file headers). */
export function addedLinesOf(patch: string): string[] {
  const added: string[] = [];
  let inHunk = false;
  for (const line of patch.split("\n")) {
    if (line.startsWith("diff --git ")) inHunk = false;
    else if (line.startsWith("@@")) inHunk = true;
    else if (inHunk && line.startsWith("+")) added.push(line.slice(1));
  }
  return added;
}

/** "owner/name" and PR 12 → "owner__name-12", SWE-bench's instance id. */
export function instanceId(repo: string, number: number): string {
  return `${repo.replace("/", "__")}-${number}`;
}

/**
 * The version at each mainline position: "major.minor" of the latest version tag (v1.2, 1.2.3, release-1.2)
 * on a mainline commit at or before it. Tags on side branches are not seen.
 */
export async function readVersions(git: Git, mainline: readonly string[]): Promise<(string | undefined)[]> {
  const text = await git.text(["for-each-ref", "--format=%(objectname)%00%(*objectname)%00%(refname:strip=2)", "refs/tags"]);
  const byCommit = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [object, peeled, name] = line.split("\0");
    const version = /(\d+)\.(\d+)/.exec(name ?? "");
    if (!version) continue;
    const commit = peeled || object!;
    byCommit.set(commit, [...(byCommit.get(commit) ?? []), `${Number(version[1])}.${Number(version[2])}`]);
  }
  const versions: (string | undefined)[] = [];
  let current: string | undefined;
  for (const sha of mainline) {
    const tags = byCommit.get(sha);
    if (tags) current = tags.sort(compareVersions).at(-1);
    versions.push(current);
  }
  return versions;
}

function compareVersions(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return am! - bm! || an! - bn!;
}
