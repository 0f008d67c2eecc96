import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { GitError } from "./errors.js";
import { gitArguments, gitEnvironment } from "./git.js";

/**
 * Reads blobs through one long-lived `git cat-file --batch`: each answer is framed by the size in its header
 * line (`<sha> blob <size>` then exactly that many bytes and a newline), so any content comes back byte for
 * byte. Requests are answered in order.
 */
export class BlobReader {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  /** Chunks that came after `buffered`, joined only when a read needs them (a large blob comes in many). */
  private incoming: Buffer[] = [];
  private incomingBytes = 0;
  private waiting: (() => void) | undefined;
  private ended = false;
  private stderr = "";
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly repo: string) {}

  /** The content of a blob; a missing object is a GitError. */
  read(sha: string): Promise<Buffer> {
    const next = this.queue.then(() => this.readOne(sha));
    this.queue = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    if (!this.child) return;
    this.child.stdin.end();
    if (!this.ended) await new Promise<void>((resolve) => this.child!.once("close", () => resolve()));
    this.child = undefined;
  }

  private start(): ChildProcessByStdio<Writable, Readable, Readable> {
    const child = spawn("git", gitArguments(this.repo, ["cat-file", "--batch"]), { env: gitEnvironment(), stdio: ["pipe", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => {
      this.incoming.push(chunk);
      this.incomingBytes += chunk.length;
      this.wake();
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      if (this.stderr.length < 4096) this.stderr += text;
    });
    child.stdin.on("error", () => {});
    child.on("close", () => {
      this.ended = true;
      this.wake();
    });
    child.on("error", (error) => {
      this.stderr += error.message;
      this.ended = true;
      this.wake();
    });
    return child;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  private gather(): void {
    if (this.incoming.length === 0) return;
    this.buffered = this.buffered.length === 0 && this.incoming.length === 1 ? this.incoming[0]! : Buffer.concat([this.buffered, ...this.incoming]);
    this.incoming = [];
    this.incomingBytes = 0;
  }

  private async take(size: number): Promise<Buffer> {
    while (this.buffered.length + this.incomingBytes < size) {
      if (this.ended) throw new GitError("git cat-file --batch", this.repo, null, this.stderr || "ended early");
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    this.gather();
    const out = this.buffered.subarray(0, size);
    this.buffered = this.buffered.subarray(size);
    return out;
  }

  private async line(): Promise<string> {
    for (;;) {
      this.gather();
      const end = this.buffered.indexOf(0x0a);
      if (end !== -1) return (await this.take(end + 1)).toString("latin1", 0, end);
      if (this.ended) throw new GitError("git cat-file --batch", this.repo, null, this.stderr || "ended early");
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private async readOne(sha: string): Promise<Buffer> {
    this.child ??= this.start();
    this.child.stdin.write(`${sha}\n`);
    const header = await this.line();
    const match = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!match) throw new GitError(`git cat-file --batch (${sha})`, this.repo, null, header);
    const content = Buffer.from(await this.take(Number(match[3])));
    await this.take(1);
    return content;
  }
}
