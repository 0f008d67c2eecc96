import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { once } from "node:events";
import { UsageError } from "../errors/acc-error.js";
import { isSystemError } from "../errors/system-error.js";
import { trackTemp } from "./cleanup.js";
import { makeDirectory } from "./directory.js";

const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/** The temporary name of `path` while it is written: hidden, beside it, unique to this process. */
export function tempPathOf(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/**
 * A file written under a temporary name beside its target and renamed into place on commit,
 * so readers never see a half-written output, even after kill -9. The temporary file is tracked
 * (cleanup.ts): it is removed on every exit path, including Ctrl-C.
 */
export class AtomicFile {
  private readonly stream: WriteStream;
  readonly tempPath: string;
  private closed = false;
  private readonly untrack: () => void;

  /** `direct` writes straight into an existing special file (/dev/null, a FIFO) that a rename would replace. */
  private constructor(
    readonly path: string,
    private readonly direct: boolean,
  ) {
    this.tempPath = direct ? path : tempPathOf(path);
    this.untrack = direct ? () => {} : trackTemp(this.tempPath);
    this.stream = createWriteStream(this.tempPath, { highWaterMark: WRITE_BUFFER_BYTES });
  }

  static async create(path: string): Promise<AtomicFile> {
    await makeDirectory(dirname(path), path);
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isDirectory()) throw new UsageError(`cannot write ${path}: it is a folder`, { code: "is-a-folder", fix: "give a file name" });
    const file = new AtomicFile(path, existing !== undefined && !existing.isFile());
    try {
      await once(file.stream, "open");
    } catch (error) {
      file.untrack();
      throw cannotWrite(path, error);
    }
    return file;
  }

  /**
   * Two buffers that strings are encoded into and written from in turn; a buffer is filled again only
   * once its last write is done. A fresh buffer for each write (as before) cost every page of it a
   * fault, and measuring each string's UTF-8 length first cost a pass over the output.
   */
  private readonly buffers: Buffer[] = [];
  private readonly writing: (Promise<void> | undefined)[] = [undefined, undefined];
  private current = 0;
  private offset = 0;
  /** A high surrogate that ended the last string: its pair starts the next one. */
  private carry = "";

  /** Buffers small writes into large ones; resolves once the stream can take more (backpressure). */
  async write(text: string | Uint8Array): Promise<void> {
    if (typeof text !== "string") {
      await this.endCarry();
      await this.flush();
      if (!this.stream.write(text)) await once(this.stream, "drain");
      return;
    }
    if (this.carry !== "") {
      text = this.carry + text;
      this.carry = "";
    }
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    // A UTF-16 unit takes at most 3 bytes: below that bound the string fits without measuring it.
    if (text.length * 3 > WRITE_BUFFER_BYTES - this.offset) {
      if (text.length <= WRITE_BUFFER_BYTES - this.offset) {
        const written = this.buffer().write(text, this.offset, "utf8");
        if (written === Buffer.byteLength(text)) {
          this.offset += written;
          return;
        }
      }
      await this.flush();
      if (text.length * 3 > WRITE_BUFFER_BYTES) {
        if (!this.stream.write(Buffer.from(text, "utf8"))) await once(this.stream, "drain");
        return;
      }
    }
    this.offset += this.buffer().write(text, this.offset, "utf8");
  }

  /** The buffer being filled (allocated on first use: many outputs hold a few lines). */
  private buffer(): Buffer {
    return (this.buffers[this.current] ??= Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES));
  }

  /** A high surrogate that no low one followed is written as U+FFFD (as Buffer.from encodes it). */
  private async endCarry(): Promise<void> {
    if (this.carry === "") return;
    this.carry = "";
    if (WRITE_BUFFER_BYTES - this.offset < 3) await this.flush();
    this.offset += this.buffer().write("\ufffd", this.offset, "utf8");
  }

  private async flush(): Promise<void> {
    if (this.offset === 0) return;
    const index = this.current;
    const chunk = this.buffers[index]!.subarray(0, this.offset);
    let free = () => {};
    this.writing[index] = new Promise((resolve) => (free = resolve));
    // a failed write reaches the stream's "error" event (and `drain` waits); the callback only frees the buffer
    const more = this.stream.write(chunk, () => free());
    this.current = 1 - index;
    this.offset = 0;
    if (!more) await once(this.stream, "drain");
    await this.writing[this.current];
  }

  async commit(): Promise<void> {
    await this.endCarry();
    await this.flush();
    await this.close();
    if (!this.direct) await rename(this.tempPath, this.path);
    this.untrack();
  }

  async abort(): Promise<void> {
    await this.close();
    if (!this.direct) await rm(this.tempPath, { force: true });
    this.untrack();
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.end();
    await once(this.stream, "close");
  }
}

/** Writes a whole file atomically (temporary name, then rename), tracked like AtomicFile. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathOf(path);
  const untrack = trackTemp(temp);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw cannotWrite(path, error);
  } finally {
    untrack();
  }
}

/** A failure to create `path`'s temporary file, reported about `path` itself (the name the user gave). */
function cannotWrite(path: string, error: unknown): unknown {
  if (!isSystemError(error)) return error;
  if (error.code === "ENOENT" && existsSync(dirname(path))) {
    return new UsageError(`cannot write ${path}: ${dirname(path)} does not take new files (a special file system such as /proc?)`, {
      code: "not-writable",
      fix: "choose another output path",
      cause: error,
    });
  }
  return Object.assign(error, { path, syscall: "open" });
}

/** Where a stage's lines go: an atomic file, or a stream such as stdout. */
export interface LineSink {
  write(text: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A file path, or a sink the caller opened (stdout for `-o -`). */
export type Output = string | LineSink;

/** The sink of an output: an atomic file for a path. */
export async function openOutput(output: Output): Promise<LineSink> {
  return typeof output === "string" ? AtomicFile.create(output) : output;
}

/** `path` as an atomic file, or `stream` (stdout) when the path is `-` or not given. */
export async function openSink(path: string | undefined, stream: NodeJS.WritableStream): Promise<LineSink> {
  if (path !== undefined && path !== "-") return AtomicFile.create(path);
  return streamSink(stream);
}

/** Lines written to a stream (with backpressure); nothing to commit or undo. */
export function streamSink(stream: NodeJS.WritableStream): LineSink {
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, "drain");
    },
    async commit() {},
    async abort() {},
  };
}
