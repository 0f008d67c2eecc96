import { type BinaryLiterals, binarySection } from "./binary-patch.js";
import type { Git } from "./git.js";
import { type CommitPatch, isPlainText } from "./patch-parser.js";
import { isTestPath } from "./test-paths.js";

export interface StagePatch {
  patch: string;
  test_patch: string;
  /** Paths of the files the test patch touches. */
  testFiles: string[];
  /** Every line the whole diff adds (code and tests), for the leak check. */
  addedLines: string[];
  /** Text files written as git binary patches because JSON cannot carry their diff (NUL bytes, not UTF-8). */
  binaryEncoded: string[];
}

export type StagePatchResult = { ok: true; value: StagePatch } | { ok: false; reason: string };

/** A stage patch larger than this is no task: the stage is rejected. */
export const MAX_STAGE_PATCH_BYTES = 8 * 1024 * 1024;

const BINARY_FILES = Buffer.from("Binary files ", "latin1");
const DIFFER = Buffer.from(" differ", "latin1");
const isLineEnd = (byte: number | undefined) => byte === 0x0a || byte === 0x0d;

/**
 * Whether a section holds git's line for a binary file when the patch carries no data (the sections of our
 * diffs never do): a line `Binary files … differ` (a line ends at CR or LF), found in the bytes.
 */
function binaryWithoutData(section: Buffer): boolean {
  for (let at = section.indexOf(BINARY_FILES); at !== -1; at = section.indexOf(BINARY_FILES, at + 1)) {
    if (at > 0 && !isLineEnd(section[at - 1])) continue;
    let end = at + BINARY_FILES.length;
    while (end < section.length && !isLineEnd(section[end])) end++;
    if (end - at >= BINARY_FILES.length + DIFFER.length && section.compare(DIFFER, 0, DIFFER.length, end - DIFFER.length, end) === 0) return true;
  }
  return false;
}
const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/**
 * The gold diff of a stage (base → merge, as one `git diff --binary` would print it), split into code and
 * test patches by path. Binary files, and every section that JSON cannot carry byte for byte and `git apply`
 * cannot read back as text (NUL bytes past git's binary sniff, bytes that are not UTF-8, paths that are not
 * UTF-8), are written as git binary patches of the same blobs, so any diff git can print becomes a UTF-8
 * patch that applies to the exact merge tree. What cannot be a task is rejected with the reason: a diff git's output did not let us
 * read, one over MAX_STAGE_PATCH_BYTES, an empty one.
 */
export async function assembleStagePatch(record: CommitPatch, literals: BinaryLiterals): Promise<StagePatchResult> {
  if (record.error !== undefined) return { ok: false, reason: `its diff could not be read: ${record.error}` };
  if (record.patchBytes > MAX_STAGE_PATCH_BYTES) {
    return { ok: false, reason: `its diff is ${megabytes(record.patchBytes)} MB, over the ${megabytes(MAX_STAGE_PATCH_BYTES)} MB limit of a stage patch` };
  }
  if (record.files.length === 0) return { ok: false, reason: "it changes nothing (empty diff)" };
  // Each kind's sections are decoded in one piece: a patch built by `+=` per file is a rope that the leak
  // check's line scan and JSON.stringify each copied flat again (every stage's patch text, twice more).
  const codeSections: Buffer[] = [];
  const testSections: Buffer[] = [];
  let size = 0;
  const testFiles: string[] = [];
  const binaryEncoded: string[] = [];
  for (const file of record.files) {
    const test = isTestPath(file.path);
    const sections = test ? testSections : codeSections;
    let encoded = false;
    for (const [i, section] of file.sections.entries()) {
      let bytes = section;
      if (!isPlainText(section) || binaryWithoutData(section)) {
        bytes = await binarySection(file, file.sections.length === 1 ? "whole" : i === 0 ? "removal" : "creation", literals);
        encoded = true;
      }
      sections.push(bytes);
      size += bytes.length;
    }
    if (encoded && !file.binary) binaryEncoded.push(file.path);
    if (test) testFiles.push(file.path);
  }
  if (size > MAX_STAGE_PATCH_BYTES) {
    return { ok: false, reason: `its diff is ${megabytes(size)} MB once binary files are encoded, over the ${megabytes(MAX_STAGE_PATCH_BYTES)} MB limit of a stage patch` };
  }
  // Valid UTF-8 sections (isPlainText) and ASCII binary patches decode the same together as one by one.
  const code = Buffer.concat(codeSections).toString("utf8");
  const tests = Buffer.concat(testSections).toString("utf8");
  return { ok: true, value: { patch: code, test_patch: tests, testFiles, addedLines: [...addedLinesOf(code), ...addedLinesOf(tests)], binaryEncoded } };
}

/** The `+` lines inside hunks (not the `+++` file headers, which come before a section's first hunk). */
export function addedLinesOf(patch: string): string[] {
  const added: string[] = [];
  let inHunk = false;
  for (let start = 0; start < patch.length; ) {
    let end = patch.indexOf("\n", start);
    if (end === -1) end = patch.length;
    const first = patch.charCodeAt(start);
    if (first === 0x2b /* + */) {
      if (inHunk) added.push(patch.slice(start + 1, end));
    } else if (first === 0x40 /* @ */ && patch.startsWith("@@", start)) {
      inHunk = true;
    } else if (first === 0x64 /* d */ && patch.startsWith("diff --git ", start)) {
      inHunk = false;
    }
    start = end + 1;
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
