import { promisify } from "node:util";
import { deflate, deflateSync } from "node:zlib";
import type { FileChange } from "./patch-parser.js";
import { patchPath } from "./git-path.js";

const BASE85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

const DIGITS = Buffer.from(BASE85, "latin1");

/** git's base85 lines of a binary patch: a length character (A–Z = 1–26, a–z = 27–52), then 5 characters per 4 bytes. */
export function base85Lines(data: Buffer): string {
  const lines = Math.ceil(data.length / 52);
  const out = Buffer.alloc(lines * 2 + Math.ceil(data.length / 4) * 5 + lines * 5);
  let o = 0;
  for (let at = 0; at < data.length; at += 52) {
    const n = Math.min(52, data.length - at);
    out[o++] = n <= 26 ? 64 + n : 96 + n - 26;
    for (let i = at; i < at + n; i += 4) {
      // a big-endian 32-bit group (zero-padded past the data) as 5 digits, most significant first
      const padded = i + 4 > at + n;
      let value = padded ? 0 : data.readUInt32BE(i);
      if (padded) for (let k = 0; k < 4; k++) value = value * 256 + (i + k < at + n ? data[i + k]! : 0);
      let quotient = Math.floor(value / 85); // under 2^26 from here on: integer arithmetic
      out[o + 4] = DIGITS[value - quotient * 85]!;
      for (let k = 3; k >= 0; k--) {
        const next = (quotient / 85) | 0;
        out[o + k] = DIGITS[quotient - next * 85]!;
        quotient = next;
      }
      o += 5;
    }
    out[o++] = 0x0a;
  }
  return out.toString("latin1", 0, o);
}

function literal(data: Buffer, deflated: Buffer): string {
  return `literal ${data.length}\n${base85Lines(deflated)}\n`;
}

const EMPTY_LITERAL = literal(Buffer.alloc(0), deflateSync(Buffer.alloc(0)));
/** zlib on libuv's thread pool: the same bytes as deflateSync, off the main thread (deflating is the costly part). */
const deflateAsync = promisify(deflate);

/**
 * git's `literal` block of each blob, encoded once per run: a binary file's blob is in the patch that
 * creates it (forward) and in the next one that changes it (reverse), and deflating it is the costly part.
 */
export class BinaryLiterals {
  private readonly encoded = new Map<string, Promise<string>>();

  constructor(private readonly blobs: { read(sha: string): Promise<Buffer> }) {}

  of(sha: string): Promise<string> {
    let text = this.encoded.get(sha);
    if (text === undefined) {
      text = this.blobs.read(sha).then(async (data) => literal(data, await deflateAsync(data)));
      this.encoded.set(sha, text);
    }
    return text;
  }
}

/**
 * One patch section of a changed path as `git diff --binary` writes a binary file: extended headers, the
 * full blob ids and a `GIT binary patch` with forward and reverse literals. Used for binary files and for
 * paths whose text diff JSON cannot carry byte for byte (NUL bytes, bytes that are not UTF-8): the result is
 * ASCII and `git apply` recreates the exact blobs. A type change has two sections, the removal of the old
 * entry and the creation of the new one (`part`); each reads only its own blob.
 */
export async function binarySection(file: FileChange, part: "whole" | "removal" | "creation", literals: BinaryLiterals): Promise<Buffer> {
  const a = patchPath("a/", file.oldPathBytes);
  const b = patchPath("b/", file.pathBytes);
  const head = (from: string, to: string) => `diff --git ${from} ${to}\n`;
  const zero = "0".repeat(file.oldSha.length);
  if (part === "removal") {
    const old = await literals.of(file.oldSha);
    return Buffer.from(`${head(a, patchPath("b/", file.oldPathBytes))}deleted file mode ${file.oldMode}\nindex ${file.oldSha}..${zero}\nGIT binary patch\n${EMPTY_LITERAL}${old}`);
  }
  if (part === "creation") {
    const created = await literals.of(file.newSha);
    return Buffer.from(`${head(patchPath("a/", file.pathBytes), b)}new file mode ${file.newMode}\nindex ${zero}..${file.newSha}\nGIT binary patch\n${created}${EMPTY_LITERAL}`);
  }
  const oldData = file.status === "A" ? EMPTY_LITERAL : await literals.of(file.oldSha);
  const newData = file.status === "D" ? EMPTY_LITERAL : await literals.of(file.newSha);
  let text = head(a, b);
  if (file.status === "A") text += `new file mode ${file.newMode}\n`;
  else if (file.status === "D") text += `deleted file mode ${file.oldMode}\n`;
  else if (file.oldMode !== file.newMode) text += `old mode ${file.oldMode}\nnew mode ${file.newMode}\n`;
  if (file.status === "R") text += `rename from ${patchPath("", file.oldPathBytes)}\nrename to ${patchPath("", file.pathBytes)}\n`;
  const sameMode = file.status !== "A" && file.status !== "D" && file.oldMode === file.newMode ? ` ${file.newMode}` : "";
  text += `index ${file.oldSha}..${file.newSha}${sameMode}\nGIT binary patch\n${newData}${oldData}`;
  return Buffer.from(text);
}
