import { isUtf8 } from "node:buffer";
import { createReadStream, type ReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline, type Readable, Transform } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";
import { AccError } from "../errors/acc-error.js";
import { withPath } from "../errors/system-error.js";
import { contentPath } from "./stdin.js";

/** Lines longer than this are rejected without being held in memory (V8 strings stop at ~512 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export type RawLine =
  | { line: number; text: string }
  | { line: number; error: "invalid-utf8" | "line-too-long"; detail: string };

const GZIP_MAGIC = [0x1f, 0x8b];
const EMPTY = Buffer.alloc(0);

export async function isGzipFile(path: string): Promise<boolean> {
  const head = await readRawHead(path, 2);
  return head.length === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

async function readRawHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(await contentPath(path), "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw withPath(error, path); // a read error (EISDIR for a folder) does not say which file
  } finally {
    await handle.close();
  }
}

/**
 * A byte stream of the file's content (`-`: standard input) from byte `from` of the content on, gunzipped when the file is gzip. The file is opened (and a
 * missing one rejected) before any stream exists, and a read error reaches the gunzip stream: no
 * stream is ever left emitting an error nobody listens to.
 */
export async function openContent(path: string, from = 0): Promise<Readable> {
  const gzip = await isGzipFile(path);
  const raw = readFrom(await contentPath(path), gzip ? 0 : from);
  if (!gzip) return raw;
  const gunzip = createGunzip();
  // errors reach the consumer through the last stream; the callback only stops pipeline from throwing them again
  if (from === 0) {
    pipeline(raw, gunzip, () => {});
    return gunzip;
  }
  // a gzip stream cannot be entered half-way: what comes before `from` is decompressed and dropped
  const rest = dropping(from);
  pipeline(raw, gunzip, rest, () => {});
  return rest;
}

/** A stream that drops its first `bytes` bytes. */
function dropping(bytes: number): Transform {
  let left = bytes;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return done();
      }
      const rest = left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
      done(null, rest);
    },
  });
}

/** The file's bytes from `offset` on, as a stream whose bytes count in inputBytesRead. */
function readFrom(path: string, offset: number): ReadStream {
  const raw = createReadStream(path, { highWaterMark: 1 << 20, start: offset });
  reading.add(raw);
  raw.once("close", () => {
    reading.delete(raw);
    bytesOfClosed += raw.bytesRead;
  });
  return raw;
}

const reading = new Set<ReadStream>();
let bytesOfClosed = 0;

/** Bytes read from input files so far in this process, before decompression: what progress estimates count. */
export function inputBytesRead(): number {
  let total = bytesOfClosed;
  for (const stream of reading) total += stream.bytesRead;
  return total;
}

/**
 * The start of a plain (not gzip) file, read with one call: its first bytes, or all of it (`whole`). Format
 * detection and the import share it: the rest of the file, when there is one, is read from where it ends,
 * so a file is opened and read once (reading a small head through a 1 MiB stream, then the document again,
 * opened it four times and read its first MiB twice).
 */
export interface FileStart {
  bytes: Buffer;
  whole: boolean;
  /** The file's size when it was opened. */
  size: number;
}

/** The first `bytes` bytes of the file (all of it when it is smaller); undefined for gzip or special files (the caller streams them). */
export async function readStart(path: string, bytes: number): Promise<FileStart | undefined> {
  return readPlain(path, (size) => Math.min(size, bytes));
}

/**
 * The file's bytes from the start of a plain file: read with one call into a buffer of the file's
 * size, `before` (bytes already read from its beginning) copied in first. `wanted` says how many bytes
 * to read from a file of `size`, or undefined to read none (the caller streams it). Undefined too for gzip and special files.
 */
async function readPlain(path: string, wanted: (size: number) => number | undefined, before?: Buffer): Promise<FileStart | undefined> {
  const handle = await open(await contentPath(path), "r");
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    const length = wanted(info.size);
    if (length === undefined) return undefined;
    const buffer = Buffer.allocUnsafe(length);
    let filled = before === undefined ? 0 : before.copy(buffer, 0, 0, Math.min(before.length, length));
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      bytesOfClosed += bytesRead;
      filled += bytesRead;
    }
    const read = buffer.subarray(0, filled);
    if (read[0] === GZIP_MAGIC[0] && read[1] === GZIP_MAGIC[1]) return undefined;
    return { bytes: read, whole: filled >= info.size, size: info.size };
  } catch (error) {
    throw withPath(error, path); // a read error (EISDIR for a folder) does not say which file
  } finally {
    await handle.close();
  }
}

/** Up to `bytes` bytes of the file's (decompressed) content. */
export async function readHead(path: string, bytes: number): Promise<Buffer> {
  const plain = await readStart(path, bytes);
  if (plain !== undefined) return plain.bytes;
  const stream = await openContent(path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) break;
    }
  } catch (error) {
    // A truncated gzip still has a readable head; anything before the damage is what we sniff.
    if (total === 0) throw error;
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

/**
 * Splits a byte stream into lines without holding more than one line (bounded by maxLineBytes).
 * Line numbers are 1-based physical lines; blank lines are skipped but counted; a BOM at the start
 * of line 1 is dropped; a trailing CR is dropped. Feed chunks with `push`, then call `end`.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private oversized = false;
  private lineNumber: number;

  constructor(
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
    firstLine = 1,
  ) {
    this.lineNumber = firstLine;
  }

  *push(chunk: Buffer): Generator<RawLine> {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, newline);
      if (!this.oversized && this.pendingBytes + piece.length > this.maxLineBytes) this.overflow();
      if (this.oversized) this.pendingBytes += piece.length;
      yield* this.finishLine(this.oversized ? EMPTY : piece);
      start = newline + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (!this.oversized && this.pendingBytes + rest.length > this.maxLineBytes) this.overflow();
      if (!this.oversized) this.pending.push(Buffer.from(rest));
      this.pendingBytes += rest.length;
    }
  }

  *end(): Generator<RawLine> {
    if (this.pendingBytes > 0 || this.oversized) yield* this.finishLine(EMPTY);
  }

  private overflow(): void {
    this.oversized = true;
    this.pending = [];
  }

  private *finishLine(tail: Buffer): Generator<RawLine> {
    const number = this.lineNumber++;
    if (this.oversized) {
      const size = this.pendingBytes + tail.length;
      this.pending = [];
      this.pendingBytes = 0;
      this.oversized = false;
      yield { line: number, error: "line-too-long", detail: lineTooLong(size, this.maxLineBytes) };
      return;
    }
    let bytes = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    if (number === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (isBlank(bytes)) return;
    if (!isUtf8(bytes)) {
      yield { line: number, error: "invalid-utf8", detail: `invalid UTF-8 at byte ${firstInvalidUtf8Offset(bytes)} of the line` };
      return;
    }
    yield { line: number, text: bytes.toString("utf8") };
  }
}

/** Why a line of `size` bytes is not read: the words of every line-too-long reject, whoever finds the line. */
export function lineTooLong(size: number, maxLineBytes: number): string {
  return `line of ${size} bytes exceeds the limit of ${maxLineBytes} bytes`;
}

/** The lines of a file (gzip or not); see LineSplitter. From `start` (read already), then the rest of the file, if any. */
export async function* readLines(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES, start?: FileStart): AsyncGenerator<RawLine> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const chunk of contentAfter(path, start)) yield* splitter.push(chunk);
  yield* splitter.end();
}

/**
 * The file's content (gunzipped) from byte `from`: what of `start` (read already) lies past `from`, then the
 * rest of the file, if any, read from where `start` or `from` ends, whichever is later.
 */
export async function* contentAfter(path: string, start: FileStart | undefined, from = 0): AsyncGenerator<Buffer> {
  if (start === undefined) {
    yield* (await openContent(path, from)) as AsyncIterable<Buffer>;
    return;
  }
  if (from < start.bytes.length) yield start.bytes.subarray(from);
  if (!start.whole) yield* readFrom(await contentPath(path), Math.max(from, start.bytes.length)) as AsyncIterable<Buffer>;
}

/** The lines of a file acc wrote itself (plain, no line bound, not counted as input read). */
export async function* ownLines(path: string): AsyncGenerator<string> {
  for await (const line of ownRawLines(path)) if ("text" in line) yield line.text;
}

/** ownLines with each line's number, and the lines that are not UTF-8 (a file changed since acc wrote it). */
export async function* ownRawLines(path: string): AsyncGenerator<RawLine> {
  const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) yield* splitter.push(chunk);
  yield* splitter.end();
}

/** Lines of a (possibly gzip) file, blank ones included: a quick total for progress. */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of (await openContent(path)) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? lines : lines + 1;
}

/**
 * The whole (decompressed) file as text; throws a DocumentError when it is too large or not UTF-8. With
 * `start` (read already), only the rest is read.
 */
export async function readDocument(path: string, maxBytes: number, start?: FileStart): Promise<string> {
  let bytes = start?.whole === true && start.bytes.length <= maxBytes
    ? start.bytes
    : ((await readPlain(path, (size) => (size <= maxBytes ? size : undefined), start?.bytes))?.bytes ?? (await readStreamed(path, maxBytes)));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new DocumentError("invalid-utf8", `invalid UTF-8 at line ${lineOfOffset(bytes, offset)} (byte ${offset})`);
  }
  return bytes.toString("utf8");
}

/** A gzip file, a special file or one over the limit, read chunk by chunk (the limit checked as it grows). */
async function readStreamed(path: string, maxBytes: number): Promise<Buffer> {
  const stream = await openContent(path);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new DocumentError("document-too-large", `JSON document exceeds the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export class DocumentError extends AccError {
  override name = "DocumentError";
  declare readonly code: "document-too-large" | "invalid-utf8";
  constructor(code: "document-too-large" | "invalid-utf8", message: string) {
    super(message, { code });
  }
}

export function gunzipIfNeeded(bytes: Buffer): Buffer {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1] ? gunzipSync(bytes) : bytes;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

function lineOfOffset(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (only called once a line is known bad). */
export function firstInvalidUtf8Offset(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    if (need > 0 && !isUtf8(bytes.subarray(i, i + need + 1))) return i;
    i += need + 1;
  }
  return bytes.length;
}
