import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { once } from "node:events";
import { UsageError } from "../errors/acc-error.js";
import { isSystemError } from "../errors/system-error.js";
import { trackTemp } from "./cleanup.js";
import { makeDirectory } from "./directory.js";
import { utf8Concat } from "./utf8.js";

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

  private pending: string[] = [];
  private pendingBytes = 0;

  /** Buffers small writes into large ones; resolves once the stream can take more (backpressure). */
  async write(text: string | Uint8Array): Promise<void> {
    if (typeof text !== "string") {
      await this.flush();
      if (!this.stream.write(text)) await once(this.stream, "drain");
      return;
    }
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = utf8Concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async commit(): Promise<void> {
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
