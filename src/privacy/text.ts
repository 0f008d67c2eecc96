// Character tests and small text walks shared by the detectors. Texts are decoded strings, but they
// often hold JSON or other escaped text (a tool that printed a JSON document): the walks below never
// start or end a finding inside an escape sequence, so escaped text stays valid after redaction.

export const isDigit = (c: number) => c >= 48 && c <= 57;
export const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isUpper = (c: number) => c >= 65 && c <= 90;
export const isAlnum = (c: number) => isDigit(c) || isLetter(c);
export const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
/** Letters, digits, `_` and `-`: the characters of tokens and identifiers. */
export const isTokenChar = (c: number) => isAlnum(c) || c === 95 || c === 45;
/** What a key name is made of: token characters and `.` (`spring.datasource.password`). */
export const isKeyChar = (c: number) => isTokenChar(c) || c === 46;
/** Space, tab, line breaks, and the end of the text (NaN). */
export const isSpaceOrEnd = (c: number) => Number.isNaN(c) || c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

/**
 * True when the character at `i` belongs to an escape: a backslash stands right before it, or it is a
 * hex digit of `\uXXXX`. Any backslash counts, not only an odd run: then a text and its JSON encoding
 * (where `\n` becomes `\\n`) cut words at the same places.
 */
export function escapedAt(text: string, i: number): boolean {
  if (i > 0 && text.charCodeAt(i - 1) === 92) return true;
  for (let p = i - 1; p >= Math.max(1, i - 4); p--) {
    const c = text.charCodeAt(p);
    if (c === 117 && text.charCodeAt(p - 1) === 92) return true;
    if (!isHex(c)) return false;
  }
  return false;
}

/**
 * Whether a token may start at `i`: the character before is not part of a word, or is itself escaped
 * (the `n` of a `\n` in a JSON string), so raw JSON text and its parsed string agree.
 */
export function startsWord(text: string, i: number, isWord: (c: number) => boolean): boolean {
  return i === 0 || !isWord(text.charCodeAt(i - 1)) || escapedAt(text, i - 1);
}

/** Whether a token may end at `end` (exclusive): what follows is not part of a word. */
export function endsWord(text: string, end: number, isWord: (c: number) => boolean): boolean {
  return end >= text.length || !isWord(text.charCodeAt(end));
}

/** How far the detectors look along a line at most (values, keys and headers are shorter): bounds every walk, so no scan is quadratic. */
export const LINE_LIMIT = 1024;

/** The first index ≥ `from` whose character fails `test` (at most `limit` further), or `text.length`. */
export function skipWhile(text: string, from: number, test: (c: number) => boolean, limit = LINE_LIMIT): number {
  const stop = Math.min(text.length, from + limit);
  let i = from;
  while (i < stop && test(text.charCodeAt(i))) i++;
  return i;
}

/** The first index ≤ `from` such that the characters in [index, from) all pass `test` (at most `limit` back). */
export function skipBackWhile(text: string, from: number, test: (c: number) => boolean, limit = LINE_LIMIT): number {
  const stop = Math.max(0, from - limit);
  let i = from;
  while (i > stop && test(text.charCodeAt(i - 1))) i--;
  return i;
}

/** Horizontal space. */
export const isBlank = (c: number) => c === 32 || c === 9;

/** Whether a line ends at `i`: a line break, or the escape of one in JSON-escaped text (`\n`, `\\n`: the first backslash of the run). */
export function atLineBreak(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c === 10 || c === 13) return true;
  if (c !== 92) return false;
  let j = i;
  while (text.charCodeAt(j) === 92) j++;
  const next = text.charCodeAt(j);
  return (next === 110 || next === 114) && (i === 0 || text.charCodeAt(i - 1) !== 92);
}

/** Where the line that holds `from` ends (a line break or its escape), looking at most `limit` characters ahead. */
export function lineEnd(text: string, from: number, limit = 512): number {
  const stop = Math.min(text.length, from + limit);
  for (let i = from; i < stop; i++) {
    const c = text.charCodeAt(i);
    if ((c === 10 || c === 13 || c === 92) && atLineBreak(text, i)) return i;
  }
  return stop;
}

/** Where the line that holds `from` starts (after a line break or its `\n` escape), looking at most `limit` characters back. */
export function lineStart(text: string, from: number, limit = 512): number {
  const stop = Math.max(0, from - limit);
  let i = from;
  for (; i > stop; i--) {
    const c = text.charCodeAt(i - 1);
    if (c === 10 || c === 13) break;
    if ((c === 110 || c === 114) && i >= 2 && text.charCodeAt(i - 2) === 92) break;
  }
  return i;
}

/**
 * Whether an escape of JSON-escaped text starts at `i` that an unquoted value must not take in: `\n`,
 * `\r`, `\t`, `\"`, `\u`… (a doubled backslash is an escaped backslash, which a value may hold).
 */
export function escapeStartsAt(text: string, i: number): boolean {
  if (text.charCodeAt(i) !== 92) return false;
  const next = text.charCodeAt(i + 1);
  return next === 110 || next === 114 || next === 116 || next === 34 || next === 39 || next === 117 || next === 98 || next === 102 || next === 47;
}

/**
 * The index of the quote that closes a string opened just before `from` with `quote` (`"`, `'`, a
 * backtick, or the escaped `\"` / `\'` of a string inside a JSON string), or -1 when it does not
 * close on the same line (a line break, or its escape, ends the line). Inside, a quote preceded by an odd number of backslashes is escaped.
 */
export function closingQuote(text: string, from: number, quote: string): number {
  const q = quote.charCodeAt(quote.length - 1);
  const escapedOpen = quote.length === 2;
  const end = Math.min(text.length, from + LINE_LIMIT);
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    // An escaped backslash (`\\r` in `"od\\ru"`) is one character, never the start of an escaped line break.
    if (c === 92 && !escapedOpen && text.charCodeAt(i + 1) === 92) {
      i++;
      continue;
    }
    if ((c === 10 || c === 13 || (c === 92 && !escapedOpen)) && atLineBreak(text, i)) return -1;
    if (c !== q) continue;
    let slashes = 0;
    while (i - 1 - slashes >= from && text.charCodeAt(i - 1 - slashes) === 92) slashes++;
    // `"` closes after an even run of backslashes. Inside a string that is itself JSON-escaped, the
    // closing `\"` has 1 (mod 4) backslashes: a quote of the inner text is `\\\"` (3), an inner
    // backslash before the closing quote `\\\\\"` (5).
    if (escapedOpen ? slashes % 4 === 1 : slashes % 2 === 0) return escapedOpen ? i - 1 : i;
    // An unescaped quote inside an escaped string ends the string around it: no close on this side.
    if (escapedOpen && slashes % 2 === 0) return -1;
  }
  return -1;
}
