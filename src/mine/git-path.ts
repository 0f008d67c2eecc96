import { isUtf8 } from "node:buffer";

const ESCAPES: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };

/** git's C-style quoting of a path (quote_c_style): control bytes, `"` and `\` escaped; other bytes ≥ 0x80 as octal when `highBytes`. */
function quoteC(bytes: Buffer, highBytes: boolean): string {
  let out = '"';
  let plain = 0;
  const flush = (end: number) => {
    if (end > plain) out += bytes.toString(highBytes ? "latin1" : "utf8", plain, end);
  };
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const escaped = ESCAPES[byte] ?? (byte < 0x20 || byte === 0x7f || (highBytes && byte >= 0x80) ? `\\${byte.toString(8).padStart(3, "0")}` : undefined);
    if (escaped === undefined) continue;
    flush(i);
    out += escaped;
    plain = i + 1;
  }
  flush(bytes.length);
  return `${out}"`;
}

/**
 * A path as records show it: the UTF-8 text when the bytes are UTF-8 (tabs, newlines and quotes included,
 * byte for byte), else git's C-quoted form with the other bytes as octal escapes (`"caf\351.txt"`). Paths
 * never start with `"` in the first form unless quoted, so distinct byte strings stay distinct.
 */
export function displayPath(bytes: Buffer): string {
  if (isUtf8(bytes) && bytes[0] !== 0x22) return bytes.toString("utf8");
  return quoteC(bytes, true);
}

/**
 * A path as a patch header writes it after `a/` or `b/` (what `git apply` reads back): plain when it
 * needs no quoting, else C-quoted; bytes that are not UTF-8 become octal escapes so the patch stays UTF-8.
 */
export function patchPath(prefix: string, bytes: Buffer): string {
  const plain = isUtf8(bytes) && !bytes.some((b) => b < 0x20 || b === 0x7f || b === 0x22 || b === 0x5c);
  if (plain) return `${prefix}${bytes.toString("utf8")}`;
  return quoteC(Buffer.concat([Buffer.from(prefix), bytes]), !isUtf8(bytes));
}
