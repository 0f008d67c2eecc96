import { contentAfter, type FileStart } from "./lines.js";

/**
 * Whole lines of a file, `firstLine` being the number of the chunk's first line; or a line too long to hold.
 * `end` is where the next chunk starts: its byte in the file's content (gunzipped) and its line.
 */
export type LineChunk = ({ firstLine: number; bytes: Buffer } | { tooLong: { line: number; size: number } }) & { end: ChunkPlace };

/** A place in a file between two lines: its byte in the content (gunzipped) and the number of the line starting there. */
export interface ChunkPlace {
  offset: number;
  line: number;
}

/**
 * Cuts a (possibly gzip) file into chunks of about `chunkBytes` that end on line boundaries, so lines
 * can be parsed in parallel and still be numbered exactly. A line longer than `maxLineBytes` is never
 * held: it is reported as `tooLong` and skipped. Reading starts at `from` (a chunk's `end`, for a resumed run);
 * `start`: the file's first bytes, when format detection read them (what of them is after `from` is not read again).
 */
export async function* readLineChunks(path: string, chunkBytes: number, maxLineBytes: number, from: ChunkPlace = { offset: 0, line: 1 }, start?: FileStart): AsyncGenerator<LineChunk> {
  const stream = contentAfter(path, start, from.offset);
  let parts: Buffer[] = []; // complete lines waiting to fill a chunk
  let partsBytes = 0;
  let partsLines = 0;
  let carry: Buffer[] = []; // the start of an unfinished line
  let carryBytes = 0;
  let nextLine = from.line; // number of the first line in `parts`
  let offset = from.offset; // byte of the content where `parts` starts
  let skipping: { line: number; size: number } | undefined;

  function* flush(): Generator<LineChunk> {
    if (partsBytes === 0) return;
    offset += partsBytes;
    nextLine += partsLines;
    yield { firstLine: nextLine - partsLines, bytes: Buffer.concat(parts), end: { offset, line: nextLine } };
    parts = [];
    partsBytes = 0;
    partsLines = 0;
  }

  for await (const chunk of stream) {
    let position = 0;
    if (skipping) {
      const newline = chunk.indexOf(10);
      if (newline === -1) {
        skipping.size += chunk.length;
        continue;
      }
      skipping.size += newline;
      offset += skipping.size + 1;
      nextLine = skipping.line + 1;
      yield { tooLong: skipping, end: { offset, line: nextLine } };
      skipping = undefined;
      position = newline + 1;
    }
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline < position) {
      carry.push(chunk.subarray(position));
      carryBytes += chunk.length - position;
      if (carryBytes > maxLineBytes) {
        yield* flush();
        skipping = { line: nextLine, size: carryBytes };
        carry = [];
        carryBytes = 0;
      }
      continue;
    }
    const complete = chunk.subarray(position, lastNewline + 1);
    parts.push(...carry, complete);
    partsBytes += carryBytes + complete.length;
    partsLines += countNewlines(complete);
    carry = [Buffer.from(chunk.subarray(lastNewline + 1))];
    carryBytes = chunk.length - lastNewline - 1;
    if (partsBytes >= chunkBytes) yield* flush();
  }
  if (skipping) {
    yield* flush();
    yield { tooLong: skipping, end: { offset: offset + skipping.size, line: skipping.line + 1 } };
    return;
  }
  if (carryBytes > 0) {
    parts.push(...carry);
    partsBytes += carryBytes;
  }
  yield* flush();
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  return count;
}
