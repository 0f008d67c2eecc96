/**
 * Changed lines as lineage needs them, computed from the patch bytes without decoding them: per line, 32-bit
 * FNV-1a hashes of its exact bytes, of its bytes without ASCII whitespace (what `git blame -w` compares)
 * and of its "cosmetic" form (no whitespace, one kind of quote, no commas or semicolons: what a formatter
 * changes), and whether it is trivial (no letter or digit, or a comment). Hashing instead of decoding keeps
 * a pass over a whole history free of millions of short-lived strings.
 */
export interface LineSide {
  exact: number[];
  ws: number[];
  cosmetic: number[];
  trivial: boolean[];
  /** Hash of the side's cosmetic text across line breaks: a statement reflowed over other lines hashes the same. */
  cosmeticAll: number;
  /** The decoded lines, only where a reader asked for text (version files). */
  text?: string[];
}

// Hashes are kept as int32 (| 0), never as uint32: values of 2^31 and more are no small integers to V8, and
// arrays holding some of them (double elements) beside arrays without (small-integer elements) made the code
// reading both polymorphic.
const OFFSET = 0x811c9dc5 | 0;
const PRIME = 0x01000193;

export function emptySide(): LineSide {
  return { exact: [], ws: [], cosmetic: [], trivial: [], cosmeticAll: OFFSET };
}

const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const isAlnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b >= 0x80;

/**
 * Comment starts that make a line trivial: //, #, /*, *, ''', """, --, <!-- (after leading whitespace). The first
 * four bytes are read as one little-endian word (0 past the end) and every rule is one comparison made for
 * every line: a rule first met in optimized code (a line opening with "<!") cost a deoptimization each time.
 */
function startsComment(bytes: Uint8Array, at: number, end: number): boolean {
  const word = bytes[at]! | (at + 1 < end ? bytes[at + 1]! << 8 : 0) | (at + 2 < end ? bytes[at + 2]! << 16 : 0) | (at + 3 < end ? bytes[at + 3]! << 24 : 0);
  const one = word & 0xff;
  const two = word & 0xffff;
  const three = word & 0xffffff;
  return one === 0x23 || one === 0x2a || two === 0x2f2f || two === 0x2a2f || two === 0x2d2d || three === 0x272727 || three === 0x222222 || word === 0x2d2d213c;
}

/** Adds the line bytes[start, end) to `side`. */
export function addLine(side: LineSide, bytes: Uint8Array, start: number, end: number): void {
  let exact = OFFSET;
  let ws = OFFSET;
  let cosmetic = OFFSET;
  let all = side.cosmeticAll;
  let alnum = false;
  let first = -1;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    exact = Math.imul(exact ^ b, PRIME);
    if (isSpace(b)) continue;
    if (first === -1) first = i;
    ws = Math.imul(ws ^ b, PRIME);
    if (!alnum && isAlnum(b)) alnum = true;
    if (b === 0x2c || b === 0x3b) continue; // , ;
    const c = b === 0x27 || b === 0x60 ? 0x22 : b; // ' ` → "
    cosmetic = Math.imul(cosmetic ^ c, PRIME);
    all = Math.imul(all ^ c, PRIME);
  }
  side.exact.push(exact | 0);
  side.ws.push(ws | 0);
  side.cosmetic.push(cosmetic | 0);
  side.trivial.push(!alnum || (first !== -1 && startsComment(bytes, first, end)));
  side.cosmeticAll = all;
}

/** The side of a list of lines given as text (tests and callers that hold strings). */
export function sideOf(lines: readonly string[]): LineSide {
  const side = emptySide();
  for (const line of lines) {
    const bytes = Buffer.from(line);
    addLine(side, bytes, 0, bytes.length);
  }
  side.text = [...lines];
  return side;
}

/** The whitespace-free hash of one line of text (as addLine computes it). */
export function lineKey(line: string): number {
  return sideOf([line]).ws[0]!;
}
