/**
 * The byte-level alphabet of GPT-2-style BPE vocabularies (tokenizer.json `ByteLevel`): each byte is
 * written as one printable character, printable Latin-1 bytes as themselves and the others as
 * U+0100 onwards, in byte order.
 */
function byteLevelAlphabet(): string[] {
  const charOf: string[] = new Array(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    charOf[byte] = String.fromCharCode(printable ? byte : next++);
  }
  return charOf;
}

/** The character that stands for each byte. */
export const BYTE_LEVEL_CHARS: readonly string[] = byteLevelAlphabet();

/** Byte of each alphabet character by char code (all are below U+0144), -1 for other characters. */
const BYTE_OF_CHAR_CODE = (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_LEVEL_CHARS.forEach((char, byte) => {
    table[char.charCodeAt(0)] = byte;
  });
  return table;
})();

/**
 * Writes the bytes a byte-level token stands for into `out` (at least `token.length` long) and returns
 * how many, or -1 when the token has a character outside the alphabet (so it is not a byte-level token).
 */
export function byteLevelBytes(token: string, out: Uint8Array): number {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const byte = code < BYTE_OF_CHAR_CODE.length ? BYTE_OF_CHAR_CODE[code]! : -1;
    if (byte < 0) return -1;
    out[i] = byte;
  }
  return token.length;
}
