import { type Git, splitRecords } from "./git.js";
import { type CommitPatch, PatchParser, type PatchParserOptions } from "./patch-parser.js";

/** One commit's metadata and full message. Times are Unix seconds. */
export interface CommitInfo {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorTime: number;
  committerTime: number;
  message: string;
}

const FIELD = "\x1f";
const NUL = 0;

/**
 * Every commit reachable from `ref` with parents, author, dates and message, streamed from `git log -z`
 * (NUL between commits; git prints no NUL inside a message). The fields of fixed shape (shas, times) are
 * separated by US; author name and email by newlines, which an identity cannot hold; the message is the rest.
 */
export async function* readCommits(git: Git, ref: string): AsyncGenerator<CommitInfo> {
  for await (const record of splitRecords(git.stream(commitLogArguments(ref), { bulk: true }), NUL)) {
    if (record.length === 0) continue;
    const text = record.toString("utf8");
    const fields = text.split(FIELD, 4);
    const rest = text.slice(fields.join(FIELD).length + 1);
    const nameEnd = rest.indexOf("\n");
    const emailEnd = rest.indexOf("\n", nameEnd + 1);
    const [sha, parents, authorTime, committerTime] = fields;
    yield {
      sha: sha!,
      parents: parents ? parents.split(" ") : [],
      authorName: rest.slice(0, nameEnd),
      authorEmail: rest.slice(nameEnd + 1, emailEnd),
      authorTime: Number(authorTime),
      committerTime: Number(committerTime),
      message: rest.slice(emailEnd + 1),
    };
  }
}

/** The git arguments readCommits runs (bench:mine times them as part of the floor). */
export function commitLogArguments(ref: string): string[] {
  return ["log", "-z", "--format=%H%x1f%P%x1f%at%x1f%ct%x1f%an%n%ae%n%B", ref, "--"];
}

/** Options every patch-printing command gets: stable hunks, exact bytes, renames followed, full blob ids. */
const PATCH_ARGS = [
  "-z",
  "--raw",
  "-p",
  "--full-index",
  "--no-abbrev",
  "-U3",
  "-M",
  "--diff-algorithm=myers",
  "--indent-heuristic",
  "--no-ext-diff",
  "--no-textconv",
  "--format=%x1e%H",
];

export const DEFAULT_PARSER_OPTIONS: PatchParserOptions = {
  lines: false,
  textFor: () => false,
  keepPatch: () => false,
  maxLinesPerFile: 50_000,
  maxPatchBytes: 8 * 1024 * 1024,
};

/**
 * The first-parent history of `tip`, oldest first, each commit with its diff against its first parent
 * (merges included, renames followed): one `git log` process for the whole history, parsed as it streams
 * (see PatchParser). A commit whose diff cannot be read comes back with an `error`.
 */
export async function* readMainlinePatches(git: Git, tip: string, options: Partial<PatchParserOptions> = {}): AsyncGenerator<CommitPatch> {
  yield* parsePatches(git.stream(mainlinePatchArguments(tip), { bulk: true }), options);
}

/** The git arguments readMainlinePatches runs (bench:mine times them as part of the floor). */
export function mainlinePatchArguments(tip: string): string[] {
  return ["log", "--first-parent", "--reverse", "--diff-merges=first-parent", ...PATCH_ARGS, tip, "--"];
}

/**
 * The diff from `base` to `head` of each pair, in order: one `git diff-tree --stdin` for all of them. Each
 * record's sha is the pair's head.
 */
export async function* readPairPatches(
  git: Git,
  pairs: readonly { base: string; head: string }[],
  options: Partial<PatchParserOptions> = {},
): AsyncGenerator<CommitPatch> {
  if (pairs.length === 0) return;
  const input = pairs.map(({ base, head }) => `${head} ${base}\n`).join("");
  yield* parsePatches(git.stream(["diff-tree", "--stdin", "--always", ...PATCH_ARGS], { input, bulk: true }), options);
}

async function* parsePatches(chunks: AsyncIterable<Buffer>, options: Partial<PatchParserOptions>): AsyncGenerator<CommitPatch> {
  const parser = new PatchParser({ ...DEFAULT_PARSER_OPTIONS, ...options });
  for await (const chunk of chunks) yield* parser.push(chunk);
  yield* parser.end();
}
