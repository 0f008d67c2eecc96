import { type Git, splitRecords } from "./git.js";

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

/** A -U0 hunk: the old lines it removes and the new lines it adds (1-based starts, as in `@@ -a,b +c,d @@`). */
export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  removed: string[];
  added: string[];
}

/** One file of a commit's first-parent diff. `added`/`deleted` are null for binary files. */
export interface FileDiff {
  path: string;
  added: number | null;
  deleted: number | null;
  hunks: Hunk[];
}

export interface CommitDiff {
  sha: string;
  files: FileDiff[];
}

const FIELD = "\x1f";
const RECORD = 0x1e;
const NUL = 0;
const NEWLINE = 0x0a;

/**
 * Every commit reachable from `ref` with parents, author, dates and message, streamed from
 * `git log -z` (NUL between commits, US between fields; a message cannot hold NUL).
 */
export async function* readCommits(git: Git, ref: string): AsyncGenerator<CommitInfo> {
  const format = ["%H", "%P", "%an", "%ae", "%at", "%ct", "%B"].join("%x1f");
  for await (const record of splitRecords(git.stream(["log", "-z", `--format=${format}`, ref, "--"]), NUL)) {
    if (record.length === 0) continue;
    const fields = record.toString("utf8").split(FIELD);
    const [sha, parents, authorName, authorEmail, authorTime, committerTime] = fields;
    yield {
      sha: sha!,
      parents: parents ? parents.split(" ") : [],
      authorName: authorName ?? "",
      authorEmail: authorEmail ?? "",
      authorTime: Number(authorTime),
      committerTime: Number(committerTime),
      message: fields.slice(6).join(FIELD),
    };
  }
}

/**
 * The first-parent history of `ref`, oldest first, each commit with its diff against its first parent
 * (merges included): per file the numstat counts and the -U0 hunks. One `git log` process for the whole
 * history: `-z --numstat -p` prints, per commit, RS + sha + NUL, the NUL-terminated numstat rows, a NUL,
 * then the patch; patch sections come in numstat order, so paths are taken from the unambiguous -z rows.
 */
export async function* readMainlineDiffs(git: Git, ref: string): AsyncGenerator<CommitDiff> {
  const args = [
    "log",
    "--first-parent",
    "--reverse",
    "--diff-merges=first-parent",
    "-z",
    "--numstat",
    "-p",
    "-U0",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--format=%x1e%H",
    ref,
    "--",
  ];
  const parser = new MainlineParser(`git log --first-parent -z --numstat -p -U0 ${ref}`, git.repo);
  for await (const chunk of git.stream(args)) yield* parser.push(chunk);
  yield* parser.end();
}

type State = "start" | "header" | "afterHeader" | "numstat" | "patch";

/** A push parser over the byte stream described at readMainlineDiffs; holds at most one partial line or row. */
export class MainlineParser {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = "start";
  private commit: CommitDiff | undefined;
  private section = -1;
  private hunk: Hunk | undefined;

  constructor(
    private readonly command: string,
    private readonly repo: string,
  ) {}

  *push(chunk: Buffer): Generator<CommitDiff> {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    yield* this.parse(false);
  }

  *end(): Generator<CommitDiff> {
    yield* this.parse(true);
    if (this.pending.length > 0) this.fail(`unexpected trailing output "${this.pending.toString("utf8", 0, 40)}"`);
    if (this.commit) yield this.finish();
  }

  private *parse(atEnd: boolean): Generator<CommitDiff> {
    const buf = this.pending;
    let pos = 0;
    while (pos < buf.length) {
      if (this.state === "start") {
        if (buf[pos] !== RECORD) this.fail("output does not start with a commit header");
        this.state = "header";
      } else if (this.state === "header") {
        const end = buf.indexOf(NUL, pos);
        if (end === -1) break;
        if (this.commit) yield this.finish();
        this.commit = { sha: buf.toString("utf8", pos + 1, end), files: [] };
        pos = end + 1;
        this.state = "afterHeader";
      } else if (this.state === "afterHeader") {
        if (buf[pos] === NEWLINE) pos++;
        this.state = buf[pos] === RECORD ? "header" : "numstat";
      } else if (this.state === "numstat") {
        if (buf[pos] === RECORD) {
          this.state = "header";
          continue;
        }
        if (buf[pos] === NUL) {
          pos++;
          this.state = "patch";
          continue;
        }
        const end = buf.indexOf(NUL, pos);
        if (end === -1) break;
        this.commit!.files.push(this.parseNumstat(buf.toString("utf8", pos, end)));
        pos = end + 1;
      } else {
        if (buf[pos] === RECORD) {
          this.state = "header";
          continue;
        }
        let end = buf.indexOf(NEWLINE, pos);
        if (end === -1) {
          if (!atEnd) break;
          end = buf.length;
        }
        this.patchLine(buf, pos, end);
        pos = end + 1;
      }
    }
    this.pending = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos);
  }

  private parseNumstat(row: string): FileDiff {
    const first = row.indexOf("\t");
    const second = row.indexOf("\t", first + 1);
    if (first === -1 || second === -1) this.fail(`malformed numstat row "${row.slice(0, 80)}" in ${this.commit!.sha}`);
    const count = (text: string) => (text === "-" ? null : Number(text));
    return { path: row.slice(second + 1), added: count(row.slice(0, first)), deleted: count(row.slice(first + 1, second)), hunks: [] };
  }

  private patchLine(buf: Buffer, start: number, end: number): void {
    const first = buf[start];
    if (buf.toString("latin1", start, Math.min(end, start + 11)) === "diff --git ") {
      this.section++;
      this.hunk = undefined;
      if (this.section >= this.commit!.files.length) this.fail(`more patch sections than numstat rows in ${this.commit!.sha}`);
      return;
    }
    if (first === 0x40 /* @ */ && buf[start + 1] === 0x40 && this.section >= 0) {
      const match = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(buf.toString("latin1", start, Math.min(end, start + 120)));
      if (!match) this.fail(`malformed hunk header in ${this.commit!.sha}`);
      this.hunk = {
        oldStart: Number(match[1]),
        oldCount: match[2] === undefined ? 1 : Number(match[2]),
        newStart: Number(match[3]),
        newCount: match[4] === undefined ? 1 : Number(match[4]),
        removed: [],
        added: [],
      };
      this.commit!.files[this.section]!.hunks.push(this.hunk);
      return;
    }
    if (!this.hunk) return; // section header lines: index, mode, ---/+++ names, "Binary files … differ"
    if (first === 0x2d /* - */) this.hunk.removed.push(buf.toString("utf8", start + 1, end));
    else if (first === 0x2b /* + */) this.hunk.added.push(buf.toString("utf8", start + 1, end));
  }

  private finish(): CommitDiff {
    const commit = this.commit!;
    const withPatch = this.section + 1;
    if (withPatch !== 0 && withPatch !== commit.files.length) {
      this.fail(`${commit.files.length} numstat rows but ${withPatch} patch sections in ${commit.sha}`);
    }
    this.commit = undefined;
    this.section = -1;
    this.hunk = undefined;
    return commit;
  }

  private fail(message: string): never {
    throw new Error(`cannot parse \`${this.command}\` output in ${this.repo}: ${message}`);
  }
}
