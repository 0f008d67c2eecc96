import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { once } from "node:events";

const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * A file written under a temporary name beside its target and renamed into place on commit,
 * so readers never see a half-written output, even after kill -9.
 */
export class AtomicFile {
  private readonly stream: WriteStream;
  readonly tempPath: string;
  private closed = false;

  /** `direct` writes straight into an existing special file (/dev/null, a FIFO) that a rename would replace. */
  private constructor(
    readonly path: string,
    private readonly direct: boolean,
  ) {
    this.tempPath = direct ? path : join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    this.stream = createWriteStream(this.tempPath, { highWaterMark: WRITE_BUFFER_BYTES });
  }

  static async create(path: string): Promise<AtomicFile> {
    await mkdir(dirname(path), { recursive: true });
    const existing = await stat(path).catch(() => undefined);
    const file = new AtomicFile(path, existing !== undefined && !existing.isFile());
    await once(file.stream, "open");
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
    const chunk = this.pending.join("");
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.close();
    if (!this.direct) await rename(this.tempPath, this.path);
  }

  async abort(): Promise<void> {
    await this.close();
    if (!this.direct) await rm(this.tempPath, { force: true });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.end();
    await once(this.stream, "close");
  }
}

/** Where a stage's lines go: an atomic file, or a stream such as stdout. */
export interface LineSink {
  write(text: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function openSink(path: string | undefined, fallback: NodeJS.WritableStream): Promise<LineSink> {
  if (path !== undefined && path !== "-") return AtomicFile.create(path);
  return {
    async write(text) {
      if (!fallback.write(text)) await once(fallback, "drain");
    },
    async commit() {},
    async abort() {},
  };
}
