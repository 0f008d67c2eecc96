/** Keeps the first and last halves of a command's output within a character budget. */
export class OutputKeeper {
  private head = "";
  private tail = "";
  private dropped = 0;

  constructor(private readonly maxChars: number) {}

  add(text: string): void {
    const half = Math.floor(this.maxChars / 2);
    if (this.head.length < half) {
      const take = text.slice(0, half - this.head.length);
      this.head += take;
      this.keepTail(text.slice(take.length), half);
    } else {
      this.keepTail(text, half);
    }
  }

  private keepTail(text: string, half: number): void {
    const joined = this.tail + text;
    if (joined.length > half) this.dropped += joined.length - half;
    this.tail = joined.slice(-half);
  }

  text(): string {
    return this.dropped > 0 ? `${this.head}\n[… ${this.dropped} characters of output not shown …]\n${this.tail}` : this.head + this.tail;
  }
}

/** Bytes collected up to a limit; `overflowed` tells that more came. */
export class ByteCollector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  overflowed = false;

  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk; false once the limit is passed (the rest is dropped). */
  add(chunk: Buffer): boolean {
    if (this.overflowed) return false;
    if (this.size + chunk.length > this.maxBytes) {
      this.chunks.push(chunk.subarray(0, this.maxBytes - this.size));
      this.size = this.maxBytes;
      this.overflowed = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
