// `key = value` in its many spellings: shell and .env (`DB_PASSWORD=…`), YAML and JSON
// (`password: …`, `"client_secret": "…"`), INI and properties, URL queries (`?password=…&`),
// connection strings (`Password=…;`, ODBC `PWD={…}`), XML elements (`<password>…</password>`),
// command-line flags (`--password …`, `--token=…`) and .netrc lines (`login x password …`).
import {
  atLineBreak,
  closingQuote,
  escapedAt,
  escapeStartsAt,
  isBlank,
  isKeyChar,
  isSpaceOrEnd,
  isUpper,
  LINE_LIMIT,
  lineStart,
  skipBackWhile,
  skipWhile,
} from "../text.js";
import type { SecretType } from "../types.js";
import { isAwsSecretKey, isSecretValue, type KeyKind, secretKeyKind, type ValueContext } from "../values.js";
import type { Detector, Finding } from "./detector.js";

/**
 * What every secret-holding key name contains (see values.ts): a password word (`pass` only where the
 * key ends there, so `passed` and `bypass` do not reach the detector), a token or secret word, `key`.
 */
export const KEY_KEYWORDS = [
  "passw", "passp", "passc", "pass=", "pass:", 'pass"', "pass'", "pass ", "pass>", "pass\\", "pwd",
  "secret", "token", "key", "credential", "signature", "sig=", 'sig"', "sig:", "sig'",
] as const;

export function assignmentType(key: string, kind: KeyKind, value: string): SecretType {
  if (kind === "password") return "password";
  return isAwsSecretKey(key, value) ? "aws-secret-key" : "generic-secret";
}

const QUOTES = new Set([34, 39, 96]); // " ' `

/** The quote that opens at `i`: `"`, `'`, a backtick, or an escaped `\"` / `\'`; "" when none. */
function quoteAt(text: string, i: number): string {
  const c = text.charCodeAt(i);
  if (QUOTES.has(c)) return text[i]!;
  if (c === 92 && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39)) return text.slice(i, i + 2);
  return "";
}

/** Where a key is written: a flag, a URL query, a connection string, an XML element, or plain. */
type Context = "flag" | "query" | "connection" | "xml" | "plain";

function contextOf(text: string, keyStart: number, key: string): Context {
  if (key.startsWith("-")) return "flag";
  const before = text.charCodeAt(keyStart - 1);
  if (before === 63 || before === 38) return "query"; // ? &
  if (before === 59) return "connection"; // ;
  if (before === 60) return "xml"; // <
  return "plain";
}

/**
 * The operator after a key: `=`, `:`, `:=`, `=>`; its end, or -1 (`==` is a comparison, not an
 * assignment). `=>` and `:=` count as one operator only when spaced or quoted (`'pw' => 'x'`): in
 * `PASSWORD=>x`, the password starts with `>`.
 */
function operatorEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  const spaced = isBlank(text.charCodeAt(i - 1)) || isBlank(text.charCodeAt(i + 2)) || quoteAt(text, i + 2) !== "";
  if (c === 61) return next === 61 ? -1 : next === 62 && spaced ? i + 2 : i + 1; // = => (not ==)
  if (c === 58) return next === 58 ? -1 : next === 61 && spaced ? i + 2 : i + 1; // : := (not ::)
  return -1;
}

const OPENERS: Record<number, number> = { 41: 40, 93: 91, 125: 123 }; // ) ] } → ( [ {

/**
 * An unquoted value's end: where it stops in its context (a query parameter at `&`, a connection
 * string at `;`), then without the closing punctuation of what encloses it (`f(password=x)`,
 * `{password: x, …}`, `"PASSWORD=x"` inside a quoted string).
 */
function unquotedEnd(text: string, start: number, context: Context, lineFrom: number): number {
  let end = start;
  // Inside a double-quoted string (JSON text: `{"env": "PASSWORD=x", …}`), the string's closing quote ends it.
  const inString = unescapedQuotes(text, start) % 2 === 1;
  const stop = context === "query" ? "&#\"'<>|" : context === "connection" ? ";\"'" : inString ? '"' : "";
  const limit = Math.min(text.length, start + LINE_LIMIT);
  // In a query, a bracket that closes one opened before the value ends it (`[docs](https://h/?token=x)`); one the value opened is its own (`password=hunt(er)2`).
  let open = 0;
  while (end < limit) {
    const c = text.charCodeAt(end);
    if (isSpaceOrEnd(c) || escapeStartsAt(text, end) || stop.includes(text[end]!)) break;
    if (context === "query" && OPENERS[c] !== undefined && open-- === 0) break;
    if (context === "query" && (c === 40 || c === 91 || c === 123)) open++;
    // A quote followed by JSON punctuation closes the string the value is written in.
    if (c === 34 && /[,}\]:]/.test(text[end + 1] ?? "")) break;
    // An escaped backslash is taken whole, never cut in two.
    end += c === 92 && text.charCodeAt(end + 1) === 92 ? 2 : 1;
  }
  // A connection string whose first key is this one: `Password=x;Server=y` stops at the `;` before the next key.
  if (context === "plain") {
    const next = /;\s*[A-Za-z][A-Za-z ]*=/.exec(text.slice(start, end));
    if (next !== null) end = start + next.index;
  }
  if (context !== "plain") return end;
  const before = text.slice(lineFrom, start);
  // The full stop of a sentence (`Your new password: x. Keep it safe.`).
  if (text.charCodeAt(end - 1) === 46 && text.charCodeAt(end) === 32 && isUpper(text.charCodeAt(end + 1))) end--;
  for (;;) {
    const last = text.charCodeAt(end - 1);
    if (end <= start + 1) break;
    const opener = OPENERS[last];
    if (opener !== undefined && before.includes(String.fromCharCode(opener))) end--;
    else if ((last === 44 || last === 59) && (/[([{]/.test(before) || isSpaceOrEnd(text.charCodeAt(end)) || atLineBreak(text, end))) end--;
    else if (QUOTES.has(last) && count(before, last) % 2 === 1) end--;
    else break;
  }
  return end;
}

function count(text: string, c: number): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === c) n++;
  return n;
}

/**
 * Double quotes not escaped by a backslash between the start of the (real, unescaped) line and `at`,
 * looking at most 512 characters back (past that, a quote followed by JSON punctuation still ends a value).
 */
function unescapedQuotes(text: string, at: number): number {
  const stop = Math.max(0, at - 512);
  let from = at;
  while (from > stop && text.charCodeAt(from - 1) !== 10 && text.charCodeAt(from - 1) !== 13) from--;
  let n = 0;
  for (let i = from; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) n++;
  }
  return n;
}

/** Whether only blanks or a `#` / `//` comment follow `end` on its line. */
function restOfLineEmpty(text: string, end: number): boolean {
  const i = skipWhile(text, end, isBlank, 64);
  const c = text.charCodeAt(i);
  if (i >= text.length || atLineBreak(text, i)) return true;
  return i > end && (c === 35 || (c === 47 && text.charCodeAt(i + 1) === 47));
}

/** A .netrc line (`machine host login me password …`): the key follows `login <name> `, and the value follows the key after a space. */
function inNetrc(text: string, keyStart: number): boolean {
  return /(?:^|\s)login[ \t]+\S+[ \t]+$/.test(text.slice(lineStart(text, keyStart, 200), keyStart));
}

/**
 * Whether something that can hold a value follows a key ending at `keyEnd` (a closing quote, then `=`
 * or `:`; `>` of an XML element; a blank after a flag or in .netrc): most words such as `password`
 * in prose are turned away here, before the key name is judged.
 */
function valueMayFollow(text: string, keyStart: number, keyEnd: number): boolean {
  let i = keyEnd;
  while (i < keyEnd + 3 && (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39 || text.charCodeAt(i) === 92)) i++;
  const afterQuote = i;
  while (i < afterQuote + 8 && isBlank(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  if (c === 61 || c === 58) return true;
  if (c === 62 && text.charCodeAt(keyStart - 1) === 60) return true;
  return i > keyEnd && (text.charCodeAt(keyStart) === 45 || text.charCodeAt(keyStart - 1) === 32 || text.charCodeAt(keyStart - 1) === 9);
}

export const assignment: Detector = {
  keywords: KEY_KEYWORDS,
  find(text, at, _keyword, out) {
    const keyStart = skipBackWhile(text, at, isKeyChar, 65);
    let keyStartSafe = keyStart;
    while (keyStartSafe < at && escapedAt(text, keyStartSafe)) keyStartSafe++;
    const keyEnd = skipWhile(text, at, isKeyChar, 65);
    if (!valueMayFollow(text, keyStartSafe, keyEnd)) return;
    const key = text.slice(keyStartSafe, keyEnd);
    const kind = secretKeyKind(key);
    if (kind === undefined) return;
    const finding = valueAfterKey(text, keyStartSafe, keyEnd, key, kind);
    if (finding !== undefined) out.push(finding);
  },
};

/** The secret value assigned to the key at [keyStart, keyEnd), if there is one. */
export function valueAfterKey(text: string, keyStart: number, keyEnd: number, key: string, kind: KeyKind): Finding | undefined {
  // `scheme://user:password@host`: the URL detector's.
  if (text.startsWith("//", keyStart - 2)) return undefined;
  const context = contextOf(text, keyStart, key);
  let i = keyEnd;
  // A quoted key: `"password": …`, `'password' => …`, `\"password\": …` inside a JSON string.
  const escapedQuote = keyStart >= 2 ? quoteAt(text, keyStart - 2) : "";
  const keyQuote = escapedQuote.length === 2 ? escapedQuote : keyStart >= 1 ? quoteAt(text, keyStart - 1) : "";
  const closeQuote = keyQuote !== "" && text.startsWith(keyQuote, i) ? keyQuote : "";
  i += closeQuote.length;
  if (context === "xml") {
    if (text.charCodeAt(i) !== 62) return undefined; // >
    const close = text.indexOf("</", i + 1);
    if (close <= i + 1 || text.slice(i + 1, close).includes("\n")) return undefined;
    return judged(text, i + 1, close, key, kind, { whole: true, quoted: true, certain: true });
  }
  i = skipWhile(text, i, isBlank);
  const operator = operatorEnd(text, i);
  if (operator !== -1) {
    i = skipWhile(text, operator, isBlank);
  } else if (context === "flag" && i > keyEnd && closeQuote === "") {
    // `--password value`: the value is the next word, unless that is the next flag.
    if (text.charCodeAt(i) === 45) return undefined;
  } else if (i > keyEnd && closeQuote === "" && inNetrc(text, keyStart)) {
    // `password value` in .netrc: the value is the next word, and nothing but a password stands there.
    const end = skipWhile(text, i, (c) => !isSpaceOrEnd(c), LINE_LIMIT);
    return end > i ? judged(text, i, end, key, kind, { whole: true, quoted: true, certain: true }) : undefined;
  } else {
    return undefined;
  }
  const open = quoteAt(text, i);
  const close = open === "" ? -1 : closingQuote(text, i + open.length, open);
  // (A quote that does not close on the line is the value's own first character.)
  if (close !== -1) return judged(text, i + open.length, close, key, kind, { whole: true, quoted: true, certain: context === "flag" });
  if (context === "connection" && text.charCodeAt(i) === 123) {
    // ODBC braces: `;PWD={p;ss}}w};` (a `}` inside is doubled).
    let close = i + 1;
    for (; close < text.length; close++) {
      if (text.charCodeAt(close) !== 125) continue;
      if (text.charCodeAt(close + 1) !== 125) break;
      close++;
    }
    return close < text.length && close > i + 1 ? judged(text, i + 1, close, key, kind, { whole: true, quoted: true, certain: true }) : undefined;
  }
  // A quoted key with an unquoted value is JSON (`"pin": 123456`, `"password": null`, `"secret": {…}`): left alone, as replacing it would break the JSON.
  if (closeQuote !== "") return undefined;
  const end = unquotedEnd(text, i, context, lineStart(text, keyStart, 200));
  if (end <= i) return undefined;
  const delimited = context === "flag" || context === "query" || context === "connection";
  // A URL's query and a connection string hold literals, never code (`password=hunt(er)2`).
  const literal = context === "query" || context === "connection";
  return judged(text, i, end, key, kind, { whole: delimited || restOfLineEmpty(text, end), quoted: literal });
}

function judged(text: string, start: number, end: number, key: string, kind: KeyKind, context: ValueContext): Finding | undefined {
  const value = text.slice(start, end);
  if (!isSecretValue(kind, value, context)) return undefined;
  return { start, end, type: assignmentType(key, kind, value) };
}
