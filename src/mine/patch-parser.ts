import { isUtf8 } from "node:buffer";
import { displayPath } from "./git-path.js";
import { addLine, emptySide, type LineSide } from "./line-keys.js";

/**
 * A run of changed lines without context, as `git diff -U0` prints it: the old lines it removes and the new
 * lines it adds, as line keys (1-based starts; for a pure insertion oldStart is the old line it follows, for
 * a pure deletion newStart is the new line it follows).
 */
export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  removed: LineSide;
  added: LineSide;
}

/** One changed path of a diff: its `--raw` row, line counts and changes, and its patch section(s) as bytes. */
export interface FileChange {
  /** A, D, M, T (type change), R (rename) or C (copy). */
  status: string;
  oldMode: string;
  newMode: string;
  oldSha: string;
  newSha: string;
  /** Paths as records show them (see displayPath); oldPath differs from path only for renames and copies. */
  oldPath: string;
  path: string;
  oldPathBytes: Buffer;
  pathBytes: Buffer;
  binary: boolean;
  /** Lines added and deleted (0 for binary files, whose counts are unknown). */
  added: number;
  deleted: number;
  /** The -U0 changes, when lines were asked for and the file is text and not oversized. */
  hunks: Hunk[];
  /** More changed lines than the line limit: `hunks` is empty and lineage cannot follow this file here. */
  oversized: boolean;
  /** The patch section(s) of this path, byte for byte (a type change has two), when patches are kept. */
  sections: Buffer[];
}

export interface CommitPatch {
  /** The record's header: the commit sha (`--format=%x1e%H`). */
  sha: string;
  files: FileChange[];
  /** Total bytes of the patch sections. */
  patchBytes: number;
  /** Why the diff of this record could not be read; `files` is then empty and the run goes on without it. */
  error?: string;
}

export interface PatchParserOptions {
  /** Read changed lines into `hunks` (as line keys, for lineage). */
  lines: boolean;
  /** Paths whose changed lines are also decoded as text (`LineSide.text`). */
  textFor: (path: string) => boolean;
  /** Keep each record's patch sections as bytes, when this returns true for its sha. */
  keepPatch: (sha: string) => boolean;
  /** A file with more changed lines than this gets no `hunks` (marked oversized). */
  maxLinesPerFile: number;
  /** A record whose patch grows beyond this many bytes keeps no sections past it (its size still counts). */
  maxPatchBytes: number;
}

const RS = 0x1e;
const NUL = 0;
const LF = 0x0a;
const ZERO_SHA = /^0+$/;

type State = "record" | "sha" | "afterSha" | "rows" | "patch" | "section" | "hunk" | "binary" | "resync";

/** Prefixes of the extended header lines of a patch section (between `diff --git` and the first hunk). */
const HEADER_PREFIXES = [
  "old mode ",
  "new mode ",
  "deleted file mode ",
  "new file mode ",
  "similarity index ",
  "dissimilarity index ",
  "rename from ",
  "rename to ",
  "copy from ",
  "copy to ",
  "index ",
  "--- ",
  "+++ ",
].map((prefix) => Buffer.from(prefix, "latin1"));

/** Byte by byte: prefixes are short, and a call into Buffer#compare costs more than comparing them here. */
function startsWith(buf: Buffer, pos: number, end: number, prefix: Buffer): boolean {
  if (end - pos < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[pos + i] !== prefix[i]) return false;
  return true;
}

/**
 * Whether the line starts with one of the extended header prefixes. A loop, not `HEADER_PREFIXES.some(…)`:
 * a closure over patchLine's parameters made V8 allocate a context on every call of patchLine, every line
 * of every patch (about 10 MB of garbage in a mine of encode/httpx).
 */
function isHeaderLine(buf: Buffer, pos: number, end: number): boolean {
  for (const prefix of HEADER_PREFIXES) if (startsWith(buf, pos, end, prefix)) return true;
  return false;
}

const DIFF_GIT = Buffer.from("diff --git ", "latin1");
const GIT_BINARY = Buffer.from("GIT binary patch", "latin1");
const BINARY_FILES = Buffer.from("Binary files ", "latin1");
const LITERAL = Buffer.from("literal ", "latin1");
const DELTA = Buffer.from("delta ", "latin1");
const INDEX = Buffer.from("index ", "latin1");

/**
 * A push parser for the output of `git log -z --raw -p --format=%x1e%H …` and of
 * `git diff-tree --stdin -z --raw -p --format=%x1e%H` (RS, sha, NUL, then for a non-empty diff a newline,
 * the NUL-framed `--raw` rows, a NUL and the patch). Nothing in it assumes that file contents are UTF-8 or
 * free of NUL or RS bytes: the patch is framed by its own structure, never by a delimiter that content may
 * hold. Section headers are lines of known shapes; a hunk ends when its `@@ -a,b +c,d @@` counts are used
 * up; a binary patch ends at its blank line. Each section is checked against its raw row (the blob ids of
 * its `index` line). A record that does not fit is returned with an `error` and the parser moves to the
 * next record: one odd commit never stops a run.
 */
export class PatchParser {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = "record";
  private record: CommitPatch | undefined;
  private keep = false;
  private rows: FileChange[] = [];
  /** Sections each row expects (2 for a type change), and the section being read. */
  private sectionRow = -1;
  private sectionsSeen = 0;
  private expectedSections: number[] = [];
  private sectionStart = -1;
  private sectionParts: Buffer[] = [];
  private hunkOld = 0;
  private hunkNew = 0;
  private oldLine = 0;
  private newLine = 0;
  private run: Hunk | undefined;
  private changedLines = 0;
  private wantText = false;
  private binaryBlocks = 0;
  private sawHeaderEnd = false;
  private readonly done: CommitPatch[] = [];

  constructor(private readonly options: PatchParserOptions) {}

  /** Feeds a chunk; returns the records completed by it. */
  push(chunk: Buffer): CommitPatch[] {
    let rest = chunk;
    const lineEnd = this.pending.length > 0 ? chunk.indexOf(LF) + 1 : 0;
    if (lineEnd > 0 && lineEnd < chunk.length) {
      // The bytes left over end inside a line: complete that line alone, then parse the rest of the chunk in
      // place, instead of copying the whole chunk behind them (a copy of the whole stream, and its garbage).
      this.pending = Buffer.concat([this.pending, chunk.subarray(0, lineEnd)]);
      this.parse(false);
      rest = chunk.subarray(lineEnd);
    }
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, rest]) : rest;
    this.parse(false);
    return this.done.splice(0);
  }

  /** Ends the stream; returns the last records. */
  end(): CommitPatch[] {
    this.parse(true);
    if (this.record) {
      if (this.state === "sha" || this.state === "rows" || this.state === "hunk" || (this.state === "binary" && this.binaryBlocks === 0)) {
        this.fail("the output ended inside a record");
      } else if (this.state !== "resync") {
        this.endSection(Buffer.alloc(0), 0);
      }
      this.finishRecord();
    } else if (this.pending.length > 0 && this.state !== "resync") {
      this.done.push({ sha: "", files: [], patchBytes: 0, error: `unexpected trailing output "${this.pending.toString("latin1", 0, 40)}"` });
    }
    this.pending = Buffer.alloc(0);
    return this.done.splice(0);
  }

  private parse(atEnd: boolean): void {
    const buf = this.pending;
    let pos = 0;
    loop: while (pos < buf.length) {
      switch (this.state) {
        case "resync": {
          // After a record that did not parse: skip to the next RS that starts a line (or follows a NUL).
          let at = buf.indexOf(RS, pos);
          while (at > 0 && buf[at - 1] !== LF && buf[at - 1] !== NUL) at = buf.indexOf(RS, at + 1);
          if (at === -1) {
            pos = buf.length;
            break loop;
          }
          pos = at;
          this.state = "record";
          break;
        }
        case "record":
          if (buf[pos] !== RS) {
            this.startRecord("");
            this.fail(`expected a record header at "${buf.toString("latin1", pos, pos + 20)}"`);
            this.finishRecord();
            break;
          }
          pos++;
          this.state = "sha";
          break;
        case "sha": {
          const end = buf.indexOf(NUL, pos);
          if (end === -1) break loop;
          this.startRecord(buf.toString("latin1", pos, end));
          pos = end + 1;
          this.state = "afterSha";
          break;
        }
        case "afterSha":
          if (buf[pos] === RS) {
            this.finishRecord();
            this.state = "record";
          } else if (buf[pos] === LF) {
            pos++;
            this.state = "rows";
          } else {
            this.fail("no newline after the record header");
          }
          break;
        case "rows": {
          if (buf[pos] === NUL) {
            pos++;
            this.state = "patch";
            break;
          }
          if (buf[pos] === RS) {
            this.finishRecord();
            this.state = "record";
            break;
          }
          const consumed = this.readRow(buf, pos, atEnd);
          if (consumed === 0) break loop;
          pos += consumed;
          break;
        }
        default: {
          // Line-oriented states: the patch.
          if (buf[pos] === RS && (this.state === "patch" || this.state === "section" || (this.state === "binary" && this.binaryBlocks > 0))) {
            this.endSection(buf, pos);
            this.finishRecord();
            this.state = "record";
            break;
          }
          let end = buf.indexOf(LF, pos);
          if (end === -1) {
            if (!atEnd) break loop;
            end = buf.length;
          }
          this.patchLine(buf, pos, end);
          pos = end + 1;
        }
      }
      if ((this.state as State) === "resync" && this.record) this.finishRecord();
    }
    if (this.sectionStart !== -1) {
      // Keep what the open section has so far; the rest of `buf` is dropped or carried over.
      const upTo = Math.min(pos, buf.length);
      if (upTo > this.sectionStart) this.keepSectionBytes(buf.subarray(this.sectionStart, upTo));
      this.sectionStart = 0;
    }
    this.pending = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
  }

  /** Reads one `:mode mode sha sha status NUL path NUL [path NUL]` row; returns the bytes used, 0 when incomplete. */
  private readRow(buf: Buffer, pos: number, atEnd: boolean): number {
    const metaEnd = buf.indexOf(NUL, pos);
    if (metaEnd === -1) {
      if (atEnd) this.fail("the output ended inside a --raw row");
      return 0;
    }
    const meta = buf.toString("latin1", pos, metaEnd);
    const match = /^:(\d{6}) (\d{6}) ([0-9a-f]{40,64}) ([0-9a-f]{40,64}) ([ACDMRTUX])(\d*)$/.exec(meta);
    if (!match) {
      this.fail(`malformed --raw row "${meta.slice(0, 80)}"`);
      return metaEnd + 1 - pos;
    }
    const twoPaths = match[5] === "R" || match[5] === "C";
    const firstEnd = buf.indexOf(NUL, metaEnd + 1);
    const secondEnd = twoPaths && firstEnd !== -1 ? buf.indexOf(NUL, firstEnd + 1) : firstEnd;
    if (firstEnd === -1 || secondEnd === -1) {
      if (atEnd) this.fail("the output ended inside a --raw row");
      return 0;
    }
    const oldPathBytes = Buffer.from(buf.subarray(metaEnd + 1, firstEnd));
    const pathBytes = twoPaths ? Buffer.from(buf.subarray(firstEnd + 1, secondEnd)) : oldPathBytes;
    const oldPath = displayPath(oldPathBytes);
    this.rows.push({
      status: match[5]!,
      oldMode: match[1]!,
      newMode: match[2]!,
      oldSha: match[3]!,
      newSha: match[4]!,
      oldPath,
      path: twoPaths ? displayPath(pathBytes) : oldPath,
      oldPathBytes,
      pathBytes,
      binary: false,
      added: 0,
      deleted: 0,
      hunks: [],
      oversized: false,
      sections: [],
    });
    this.expectedSections.push(match[5] === "T" ? 2 : 1);
    return secondEnd + 1 - pos;
  }

  private patchLine(buf: Buffer, start: number, end: number): void {
    if (this.state === "hunk") {
      this.hunkLine(buf, start, end);
      return;
    }
    if (this.state === "binary") {
      this.binaryLine(buf, start, end);
      return;
    }
    if (startsWith(buf, start, end, DIFF_GIT)) {
      this.endSection(buf, start);
      this.beginSection(start);
      return;
    }
    if (this.state !== "section") {
      this.fail(`expected "diff --git" at "${buf.toString("latin1", start, Math.min(end, start + 40))}"`);
      return;
    }
    const row = this.rows[this.sectionRow]!;
    if (buf[start] === 0x5c /* \ No newline at end of file, after a hunk's last line */ && this.sawHeaderEnd) return;
    if (buf[start] === 0x40 && buf[start + 1] === 0x40) {
      if (!this.hunkHeader(buf, start, Math.min(end, start + 100))) {
        this.fail("malformed hunk header");
        return;
      }
      this.sawHeaderEnd = true;
      this.state = this.hunkOld + this.hunkNew > 0 ? "hunk" : "section";
      return;
    }
    if (startsWith(buf, start, end, GIT_BINARY)) {
      row.binary = true;
      this.sawHeaderEnd = true;
      this.binaryBlocks = 0;
      this.state = "binary";
      return;
    }
    if (startsWith(buf, start, end, BINARY_FILES)) {
      row.binary = true;
      this.sawHeaderEnd = true;
      return;
    }
    if (!this.sawHeaderEnd && isHeaderLine(buf, start, end)) {
      if (startsWith(buf, start, end, INDEX)) this.checkIndexLine(buf, start + INDEX.length, end, row);
      return;
    }
    this.fail(`unexpected line in the patch of ${row.path}: "${buf.toString("latin1", start, Math.min(end, start + 40))}"`);
  }

  private hunkLine(buf: Buffer, start: number, end: number): void {
    const row = this.rows[this.sectionRow]!;
    const kind = buf[start];
    if (kind === 0x5c /* \ No newline at end of file */) return;
    if (kind === 0x20 /* context */ || (kind === LF && start === end) /* a bare empty line some tools leave */) {
      this.flushRun();
      this.oldLine++;
      this.newLine++;
      this.hunkOld--;
      this.hunkNew--;
    } else if (kind === 0x2d /* - */) {
      if (this.collecting()) this.addTo(this.runFor().removed, buf, start + 1, end);
      this.oldLine++;
      this.hunkOld--;
      row.deleted++;
    } else if (kind === 0x2b /* + */) {
      if (this.collecting()) this.addTo(this.runFor().added, buf, start + 1, end);
      this.newLine++;
      this.hunkNew--;
      row.added++;
    } else {
      this.fail(`unexpected line inside a hunk of ${row.path}`);
      return;
    }
    if (this.hunkOld < 0 || this.hunkNew < 0) {
      this.fail(`a hunk of ${row.path} has more lines than its header says`);
      return;
    }
    if (this.hunkOld === 0 && this.hunkNew === 0) {
      this.flushRun();
      this.state = "section";
    }
  }

  private binaryLine(buf: Buffer, start: number, end: number): void {
    if (start === end) {
      // The blank line after a literal or delta block; a second (reverse) block may follow.
      this.binaryBlocks++;
      return;
    }
    if (startsWith(buf, start, end, LITERAL) || startsWith(buf, start, end, DELTA)) return;
    if (this.binaryBlocks > 0 && startsWith(buf, start, end, DIFF_GIT)) {
      this.state = "section";
      this.patchLine(buf, start, end);
      return;
    }
    // base85 data lines: a length character (A-Z, a-z) then the data.
    if (!/^[A-Za-z]/.test(String.fromCharCode(buf[start]!))) this.fail("malformed binary patch");
  }

  /** Whether the next changed line is decoded: lines were asked for and the file is under the line limit. */
  private collecting(): boolean {
    this.changedLines++;
    return this.options.lines && this.changedLines <= this.options.maxLinesPerFile;
  }

  private addTo(side: LineSide, buf: Buffer, start: number, end: number): void {
    addLine(side, buf, start, end);
    if (this.wantText) side.text!.push(buf.toString("utf8", start, end));
  }

  /** The -U0 run the current changed line belongs to (context lines close runs). */
  private runFor(): Hunk {
    if (!this.run) {
      const removed = emptySide();
      const added = emptySide();
      if (this.wantText) {
        removed.text = [];
        added.text = [];
      }
      this.run = { oldStart: this.oldLine + 1, oldCount: 0, newStart: this.newLine + 1, newCount: 0, removed, added };
    }
    return this.run;
  }

  private flushRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    if (this.changedLines > this.options.maxLinesPerFile) return;
    run.oldCount = run.removed.ws.length;
    run.newCount = run.added.ws.length;
    if (run.oldCount === 0) run.oldStart--;
    if (run.newCount === 0) run.newStart--;
    if (this.options.lines) this.rows[this.sectionRow]!.hunks.push(run);
  }

  /**
   * Reads `@@ -a[,b] +c[,d] @@` (what /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/ matches) into the hunk's
   * line counts and positions, byte by byte: a regular expression over a decoded copy of every hunk header
   * cost more than the rest of the header's handling. False when the line has another shape. Plain functions
   * of positions, not closures over one: closures made per header were allocated and compiled on their own.
   */
  private hunkHeader(buf: Buffer, start: number, end: number): boolean {
    let pos = start + 2;
    if (!(pos + 1 < end && buf[pos] === 0x20 && buf[pos + 1] === 0x2d)) return false; // " -"
    const oldStartEnd = digitsEnd(buf, pos + 2, end);
    if (oldStartEnd === pos + 2) return false;
    const oldStart = decimal(buf, pos + 2, oldStartEnd);
    pos = oldStartEnd;
    let oldCount = 1;
    if (pos < end && buf[pos] === 0x2c /* , */) {
      const countEnd = digitsEnd(buf, pos + 1, end);
      if (countEnd === pos + 1) return false;
      oldCount = decimal(buf, pos + 1, countEnd);
      pos = countEnd;
    }
    if (!(pos + 1 < end && buf[pos] === 0x20 && buf[pos + 1] === 0x2b)) return false; // " +"
    const newStartEnd = digitsEnd(buf, pos + 2, end);
    if (newStartEnd === pos + 2) return false;
    const newStart = decimal(buf, pos + 2, newStartEnd);
    pos = newStartEnd;
    let newCount = 1;
    if (pos < end && buf[pos] === 0x2c) {
      const countEnd = digitsEnd(buf, pos + 1, end);
      if (countEnd === pos + 1) return false;
      newCount = decimal(buf, pos + 1, countEnd);
      pos = countEnd;
    }
    if (!(pos + 2 < end && buf[pos] === 0x20 && buf[pos + 1] === 0x40 && buf[pos + 2] === 0x40)) return false; // " @@"
    this.hunkOld = oldCount;
    this.hunkNew = newCount;
    this.oldLine = oldStart - (oldCount === 0 ? 0 : 1);
    this.newLine = newStart - (newCount === 0 ? 0 : 1);
    return true;
  }

  /**
   * The blob ids of an `index <old>..<new> [mode]` line (buf[start, end) after "index ") must be those of the
   * section's raw row; compared on the bytes, the line is decoded only for an error message.
   */
  private checkIndexLine(buf: Buffer, start: number, end: number, row: FileChange): void {
    const oldEnd = hexEnd(buf, start, end);
    const newStart = oldEnd + 2;
    const newEnd = buf[oldEnd] === 0x2e && buf[oldEnd + 1] === 0x2e && newStart <= end ? hexEnd(buf, newStart, end) : newStart;
    if (oldEnd === start || newEnd === newStart) {
      this.fail(`malformed index line in the patch of ${row.path}`);
      return;
    }
    const typeChange = this.expectedSections[this.sectionRow] === 2;
    const second = typeChange && this.sectionsSeen === 2;
    const expectOld = typeChange && second ? "" : row.oldSha;
    const expectNew = typeChange && !second ? "" : row.newSha;
    if (!shownAgrees(buf, start, oldEnd, expectOld) || !shownAgrees(buf, newStart, newEnd, expectNew)) {
      this.fail(`the patch section of ${row.path} does not match its --raw row (index ${buf.toString("latin1", start, oldEnd)}..${buf.toString("latin1", newStart, newEnd)})`);
    }
  }

  private beginSection(start: number): void {
    if (this.sectionRow === -1 || this.sectionsSeen >= this.expectedSections[this.sectionRow]!) {
      this.sectionRow++;
      this.sectionsSeen = 0;
    }
    if (this.sectionRow >= this.rows.length) {
      this.fail("more patch sections than --raw rows");
      return;
    }
    this.sectionsSeen++;
    this.sawHeaderEnd = false;
    this.changedLines = this.rows[this.sectionRow]!.added + this.rows[this.sectionRow]!.deleted;
    this.wantText = this.options.lines && this.options.textFor(this.rows[this.sectionRow]!.path);
    this.sectionStart = this.keep ? start : -1;
    this.state = "section";
  }

  private endSection(buf: Buffer, end: number): void {
    if (this.sectionRow === -1 || this.state === "patch") return;
    const row = this.rows[this.sectionRow]!;
    if (this.changedLines > this.options.maxLinesPerFile) {
      row.oversized = true;
      row.hunks = [];
    }
    if (this.sectionStart !== -1) {
      this.keepSectionBytes(buf.subarray(this.sectionStart, end));
      const bytes = this.sectionParts.length === 1 ? this.sectionParts[0]! : Buffer.concat(this.sectionParts);
      this.sectionParts = [];
      this.sectionStart = -1;
      if (this.keep) row.sections.push(bytes);
    }
  }

  private keepSectionBytes(bytes: Buffer): void {
    const record = this.record!;
    record.patchBytes += bytes.length;
    if (record.patchBytes > this.options.maxPatchBytes) {
      // Past the limit the record keeps counting but stops keeping bytes.
      this.keep = false;
      this.sectionParts = [];
      for (const row of this.rows) row.sections = [];
      return;
    }
    this.sectionParts.push(Buffer.from(bytes));
  }

  private startRecord(sha: string): void {
    this.record = { sha, files: [], patchBytes: 0 };
    this.keep = sha !== "" && this.options.keepPatch(sha);
    this.rows = [];
    this.expectedSections = [];
    this.sectionRow = -1;
    this.sectionsSeen = 0;
    this.sectionStart = -1;
    this.sectionParts = [];
    this.run = undefined;
  }

  private finishRecord(): void {
    const record = this.record!;
    if (record.error === undefined) {
      const complete = this.rows.length === 0 || (this.sectionRow === this.rows.length - 1 && this.sectionsSeen === this.expectedSections[this.sectionRow]);
      if (!complete && (this.rows.length > 0 || this.sectionRow !== -1)) {
        record.error = `${this.rows.length} --raw rows but patch sections for ${this.sectionRow + 1}`;
      }
    }
    if (record.error === undefined) {
      record.files = this.rows;
      for (const row of this.rows) {
        if (row.binary) {
          row.hunks = [];
          row.added = 0;
          row.deleted = 0;
        }
      }
    }
    if (!this.keep) for (const row of record.files) row.sections = [];
    this.done.push(record);
    this.record = undefined;
    this.rows = [];
    this.sectionStart = -1;
    this.sectionParts = [];
  }

  private fail(message: string): void {
    if (!this.record) this.startRecord("");
    const record = this.record!;
    record.error ??= message;
    record.files = [];
    this.sectionStart = -1;
    this.sectionParts = [];
    this.state = "resync";
  }
}

/** Where the run of ASCII digits starting at buf[from] ends (at most at `end`). */
function digitsEnd(buf: Buffer, from: number, end: number): number {
  let pos = from;
  while (pos < end && buf[pos]! >= 0x30 && buf[pos]! <= 0x39) pos++;
  return pos;
}

/** The decimal number of the digits buf[from, end). */
function decimal(buf: Buffer, from: number, end: number): number {
  let value = 0;
  for (let pos = from; pos < end; pos++) value = value * 10 + buf[pos]! - 0x30;
  return value;
}

/** Where the run of lowercase hex digits starting at buf[from] ends (at most at `end`). */
function hexEnd(buf: Buffer, from: number, end: number): number {
  let pos = from;
  while (pos < end && ((buf[pos]! >= 0x30 && buf[pos]! <= 0x39) || (buf[pos]! >= 0x61 && buf[pos]! <= 0x66))) pos++;
  return pos;
}

/**
 * Whether the blob id shown in buf[start, end) agrees with the raw row's: all zeros for none (an empty or
 * all-zero expected id), else a prefix of it.
 */
function shownAgrees(buf: Buffer, start: number, end: number, expected: string): boolean {
  if (expected === "" || ZERO_SHA.test(expected)) {
    for (let i = start; i < end; i++) if (buf[i] !== 0x30) return false;
    return true;
  }
  if (end - start > expected.length) return false;
  for (let i = start; i < end; i++) if (buf[i] !== expected.charCodeAt(i - start)) return false;
  return true;
}

/** True when the bytes can travel in a JSON string as they are and apply as text: UTF-8 without NUL. */
export function isPlainText(bytes: Buffer): boolean {
  return !bytes.includes(NUL) && isUtf8(bytes);
}
