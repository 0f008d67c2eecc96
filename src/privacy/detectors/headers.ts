// HTTP credentials: `Authorization:` headers of any scheme, `Bearer …` and `Basic …` tokens wherever
// they stand, and cookie values (`Cookie:`, `Set-Cookie:`, `--cookie`).
import { closingQuote, escapeStartsAt, isBlank, isLetter, isSpaceOrEnd, isTokenChar, lineEnd, lineStart, skipWhile, startsWord } from "../text.js";
import { isPlaceholder } from "../values.js";
import type { Detector, Finding } from "./detector.js";

/**
 * After a header name (maybe quoted): a `:` or `=` separator (or, for a command-line flag, a blank)
 * and maybe an opening quote; where the value starts and the quote, or undefined.
 */
function headerValue(text: string, nameEnd: number, flag: boolean): { start: number; quote: string } | undefined {
  let i = nameEnd;
  if (text.charCodeAt(i) === 92 && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39)) i += 2;
  else if (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39) i++;
  i = skipWhile(text, i, isBlank);
  const separator = text.charCodeAt(i);
  if (separator !== 58 && separator !== 61) {
    // `curl --cookie "a=b"`: a blank, then the value.
    if (!flag || i === nameEnd) return undefined;
  } else {
    i = skipWhile(text, i + 1, isBlank);
  }
  let quote = "";
  if (text.charCodeAt(i) === 92 && (text.charCodeAt(i + 1) === 34 || text.charCodeAt(i + 1) === 39)) quote = text.slice(i, i + 2);
  else if (text.charCodeAt(i) === 34 || text.charCodeAt(i) === 39) quote = text[i]!;
  return { start: i + quote.length, quote };
}

/** Where a header value ends: its closing quote, else the line's end (or an escape). */
function valueEnd(text: string, start: number, quote: string): number {
  if (quote !== "") {
    const close = closingQuote(text, start, quote);
    if (close !== -1) return close;
  }
  let end = lineEnd(text, start, 2048);
  while (end > start && isSpaceOrEnd(text.charCodeAt(end - 1))) end--;
  return end;
}

/** The schemes whose credentials have their own type; any other scheme's are `authorization`. */
const SCHEME_TYPES = { bearer: "bearer-token", basic: "basic-auth" } as const;
/** Schemes whose credentials are a list of parameters (`k="v", k=v`), up to the end of the header. */
const PARAMETER_SCHEMES = /^(?:digest|aws4-hmac-sha256|aws|oauth|hawk|signature|hoba|mutual|scram-sha-\d+|vapid)$/i;

/** Without the closing quotes of a string the header is written in (`-H 'Authorization: Basic …'`). */
function withoutClosingQuote(text: string, start: number, end: number): number {
  const line = text.slice(lineStart(text, start, 200), start);
  let stop = end;
  while (stop > start && (text[stop - 1] === "'" || text[stop - 1] === '"' || text[stop - 1] === "`") && line.split(text[stop - 1]!).length % 2 === 0) stop--;
  return stop;
}

/**
 * `Authorization: <scheme> <credentials>` (and `Proxy-Authorization`), in a header dump, a curl
 * command, a JSON or Python dict: the credentials go, the scheme stays. Templates and references
 * (`Bearer ${TOKEN}`, `f"Bearer {token}"`, `"Bearer " + token`) are left.
 */
export const authorizationHeader: Detector = {
  keywords: ["authorization"],
  find(text, at, keyword, out) {
    if (!startsWord(text, at, (c) => isLetter(c) || c === 95)) return;
    const nameEnd = at + keyword.length;
    if (isTokenChar(text.charCodeAt(nameEnd))) return;
    const value = headerValue(text, nameEnd, false);
    if (value === undefined) return;
    let end = valueEnd(text, value.start, value.quote);
    let start = value.start;
    const scheme = /^([A-Za-z][A-Za-z0-9_-]*)[ \t]+(?=\S)/.exec(text.slice(start, Math.min(end, start + 40)));
    const type = scheme ? (SCHEME_TYPES[scheme[1]!.toLowerCase() as keyof typeof SCHEME_TYPES] ?? "authorization") : "authorization";
    if (scheme) start += scheme[0].length;
    // One token, unless the scheme takes parameters; unquoted, without the quote of the string around the header.
    if (!(scheme && PARAMETER_SCHEMES.test(scheme[1]!))) {
      let stop = start;
      while (stop < end && !isSpaceOrEnd(text.charCodeAt(stop)) && !escapeStartsAt(text, stop)) stop++;
      end = stop;
    }
    if (value.quote === "") end = withoutClosingQuote(text, start, end);
    const credentials = text.slice(start, end);
    if (credentials.length < 8 || isPlaceholder(credentials) || /[{}]|\$\w|["'`]\s*\+/.test(credentials)) return;
    // One token of the header's alphabet (RFC 7235 token68) with something besides letters
    // (`Authorization: required` is prose, `Authorization: kindMaker(…` code), or parameters
    // (`Digest username="…", response="…"`, `AWS4-HMAC-SHA256 Credential=…, Signature=…`).
    if (/\s/.test(credentials) ? !/^[A-Za-z][\w-]*=/.test(credentials) : !/^[A-Za-z0-9._~+/-]+=*$/.test(credentials) || /^[A-Za-z]+$/.test(credentials)) return;
    if (type === "basic-auth" && !basicCredentials(credentials)) return;
    out.push({ start, end, type });
  },
};

/** Bearer tokens that are not a word or a `$VARIABLE`: long, mixed and random enough. */
function randomToken(secret: string): boolean {
  return secret.length >= 16 && !isPlaceholder(secret) && /[0-9]/.test(secret) && /[A-Za-z]/.test(secret);
}

const BEARER = /[Bb]earer[ \t]+(?<secret>[A-Za-z0-9._~+/-]{16,}=*)(?![A-Za-z0-9._~+/=-])/dy;

/** `Bearer <token>` outside an Authorization header (`-H "Bearer …"`, a log line). */
export const bearer: Detector = {
  keywords: ["bearer "],
  find(text, at, _keyword, out) {
    if (!startsWord(text, at, isTokenChar)) return;
    BEARER.lastIndex = at;
    const match = BEARER.exec(text);
    if (match === null || !randomToken(match.groups!.secret!)) return;
    const [start, end] = match.indices!.groups!.secret!;
    out.push({ start, end, type: "bearer-token" });
  },
};

const BASIC = /Basic[ \t]+(?<secret>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/dy;

/** Metasyntactic user names and passwords (`foo:bar`, `user001:pass002`): test fixtures, not credentials. */
const STAND_IN = /^(?:foo|bar|baz|qux|quux|user(?:name)?|pass(?:word)?|secret|test|admin|alice|bob)\d{0,3}$/i;

/** Base64 of printable `user:password`, not of stand-ins. */
function basicCredentials(base64: string): boolean {
  const decoded = Buffer.from(base64, "base64").toString("latin1");
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1 || !/^[\x20-\x7e]+$/.test(decoded)) return false;
  return !(STAND_IN.test(decoded.slice(0, colon)) && STAND_IN.test(decoded.slice(colon + 1)));
}

/** `Basic <base64 of user:password>` anywhere; the base64 must decode to printable `user:password`. */
export const basic: Detector = {
  keywords: ["basic "],
  find(text, at, _keyword, out) {
    if (text.charCodeAt(at) !== 66 || !startsWord(text, at, isTokenChar)) return; // B
    BASIC.lastIndex = at;
    const match = BASIC.exec(text);
    if (match === null || !basicCredentials(match.groups!.secret!)) return;
    const [start, end] = match.indices!.groups!.secret!;
    out.push({ start, end, type: "basic-auth" });
  },
};

/** Cookie attributes, not cookies. */
const ATTRIBUTES = new Set(["path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority", "partitioned", "version", "comment"]);

/**
 * `Cookie: a=…; b=…` (every value), `Set-Cookie: a=…; Path=/` (the cookie's value, not its
 * attributes), and the same after `--cookie` or in a JSON or dict entry. Values without a digit
 * (`theme=dark`, `lang=en`) are preferences and stay.
 */
export const cookie: Detector = {
  keywords: ["cookie"],
  find(text, at, keyword, out) {
    if (!startsWord(text, at, (c) => isLetter(c) || c === 95)) return;
    const nameEnd = at + keyword.length;
    if (isTokenChar(text.charCodeAt(nameEnd))) return;
    const value = headerValue(text, nameEnd, text.startsWith("--", at - 2));
    if (value === undefined) return;
    const end = valueEnd(text, value.start, value.quote);
    const setCookie = /set-$/i.test(text.slice(at - 4, at));
    const header = text.slice(0, end);
    const pair = /[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("?)([^;"\s\\]*)\2/y;
    for (let i = value.start; i < end; ) {
      pair.lastIndex = i;
      const match = pair.exec(header);
      if (match === null) return;
      const [, name, quote, cookieValue] = match;
      const start = pair.lastIndex - quote!.length - cookieValue!.length;
      // A session id: random-looking (a digit or an escape), not a word (`theme=dark`, `and=attributes`).
      const random = cookieValue!.length >= 6 && /[0-9%]/.test(cookieValue!);
      if (!ATTRIBUTES.has(name!.toLowerCase()) && random && !isPlaceholder(cookieValue!)) {
        out.push({ start, end: start + cookieValue!.length, type: "cookie" } satisfies Finding);
      }
      if (setCookie) return;
      i = pair.lastIndex;
      if (text.charCodeAt(i) !== 59) return; // ;
      i++;
    }
  },
};
