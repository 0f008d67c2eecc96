/** Room reserved at a time; a longer line gets a buffer of its own size. */
const CHUNK_BYTES = 256 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Lines encoded to UTF-8 as they are added, kept until taken: for a stage that holds its output lines
 * until a checkpoint. A held string survives the young generation's collections, being copied at each,
 * then burdens the old one; held bytes are outside the JavaScript heap, and the string dies at once.
 */
export class LineBuffer {
  private chunk = EMPTY;
  private start = 0;
  private end = 0;
  private full: Buffer[] = [];
  /** Lines added since the last take. */
  count = 0;

  /** Adds `text` and a newline. */
  add(text: string): void {
    // a UTF-16 unit takes at most 3 bytes: only a line that may not fit is measured
    if (this.chunk.length - this.end <= text.length * 3) this.reserve(Buffer.byteLength(text) + 1);
    this.end += this.chunk.write(text, this.end);
    this.chunk[this.end++] = 0x0a;
    this.count++;
  }

  /** Adds `lines` whole lines already encoded (each ending in a newline), kept as they are: never copied. */
  addBlock(bytes: Uint8Array, lines: number): void {
    if (this.end > this.start) this.full.push(this.chunk.subarray(this.start, this.end));
    this.start = this.end;
    this.full.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.count += lines;
  }

  /** The bytes of the lines added since the last take, in order (a buffer per chunk they fill: never copied again). */
  take(): Buffer[] {
    const taken = this.full;
    if (this.end > this.start) taken.push(this.chunk.subarray(this.start, this.end));
    this.start = this.end;
    this.full = [];
    this.count = 0;
    return taken;
  }

  private reserve(bytes: number): void {
    if (this.chunk.length - this.end >= bytes) return;
    if (this.end > this.start) this.full.push(this.chunk.subarray(this.start, this.end));
    this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, bytes));
    this.start = 0;
    this.end = 0;
  }
}
