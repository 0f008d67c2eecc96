import { type FileHandle, open, rename, rm, stat } from "node:fs/promises";
import { trackFreshOutput } from "./cleanup.js";
import { utf8Concat } from "./utf8.js";

/**
 * An output file that can be cut back to a known length and appended to, for runs that resume after
 * a crash: the run records `flush()`'s byte count in its checkpoint, and a resumed run reopens the
 * file at that length, dropping anything written after the checkpoint.
 */
export class ResumableFile {
  private pending: (string | Buffer)[] = [];
  private size: number;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    length: number,
    private readonly untrack: () => void,
  ) {
    this.size = length;
  }

  /** Opens `path` truncated to `length` bytes (0 starts afresh: the file is removed if the run fails before writing to it). */
  static async open(path: string, length = 0): Promise<ResumableFile> {
    const exists = await stat(path).then(() => true, () => false);
    const handle = await open(path, exists && length > 0 ? "r+" : "w");
    await handle.truncate(length);
    return new ResumableFile(handle, path, length, length === 0 ? trackFreshOutput(path) : () => {});
  }

  /** Appends text, or bytes (a LineBuffer's), at the next flush. */
  write(data: string | readonly Buffer[]): void {
    if (typeof data === "string") this.pending.push(data);
    else for (const bytes of data) this.pending.push(bytes);
  }

  /** Writes what is pending and returns the file's length; bytes up to it survive a kill -9. */
  async flush(): Promise<number> {
    if (this.pending.length > 0) {
      const buffers = buffersOf(this.pending);
      this.pending = [];
      const { bytesWritten } = await this.handle.writev(buffers, this.size);
      this.size += bytesWritten;
    }
    return this.size;
  }

  /** Flushes, closes and renames the file into its final place. */
  async finish(finalPath: string): Promise<void> {
    await this.flush();
    await this.handle.close();
    await rename(this.path, finalPath);
    this.untrack();
  }

  /** Closes without renaming, keeping what is on disk for a resumed run (after a failure). */
  async close(): Promise<void> {
    await this.handle.close();
  }

  async discard(): Promise<void> {
    await this.handle.close();
    await rm(this.path, { force: true });
    this.untrack();
  }
}

/** The bytes of `parts` in order: each run of texts encoded as one buffer (utf8Concat), buffers as they are. */
function buffersOf(parts: readonly (string | Buffer)[]): Buffer[] {
  const buffers: Buffer[] = [];
  let texts: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") {
      texts.push(part);
      continue;
    }
    if (texts.length > 0) buffers.push(utf8Concat(texts));
    texts = [];
    buffers.push(part);
  }
  if (texts.length > 0) buffers.push(utf8Concat(texts));
  return buffers;
}
