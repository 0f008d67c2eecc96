import type { SecretType } from "./types.js";
import { isAwsSecretKey, isPlaceholder, isSecretValue, KEY_TRIGGERS, QUOTED_VALUE_CHARS, secretKeyKind, VALUE_CHARS } from "./values.js";

/** Where a secret sits in a text: [start, end) is what its placeholder replaces. */
export interface Span {
  start: number;
  end: number;
  type: SecretType;
  /** Lower wins when two spans overlap (a specific key type over a generic assignment). */
  priority: number;
}

/**
 * One kind of secret. The scanner finds the trigger substrings of every detector in one pass and calls
 * `find` only where a trigger occurs; `find` checks the text around it with a sticky regex or a few
 * character tests. `at` is where the trigger starts.
 */
export interface Detector {
  readonly triggers: readonly string[];
  find(text: string, at: number, trigger: string): { start: number; end: number; type: SecretType } | undefined;
}

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isTokenChar = (c: number) => isAlnum(c) || c === 95 /* _ */ || c === 45 /* - */;
const isKeyChar = (c: number) => isTokenChar(c) || c === 46 /* . */;

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * True when the character at `i` belongs to an escape: a backslash stands right before it, or it is a
 * hex digit of `\uXXXX`. Any backslash counts, not only an odd run: then a text and its JSON encoding
 * (where `\n` becomes `\\n`) cut words at the same places.
 */
function escapedAt(text: string, i: number): boolean {
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
function startsWord(text: string, i: number, isWord: (c: number) => boolean): boolean {
  return i === 0 || !isWord(text.charCodeAt(i - 1)) || escapedAt(text, i - 1);
}

/** A secret with a fixed prefix: a sticky regex from the trigger; the `secret` group, when there is one, is what goes. */
function prefixed(
  type: SecretType,
  triggers: readonly string[],
  pattern: RegExp,
  options: { wordBefore?: (c: number) => boolean; accept?: (secret: string) => boolean } = {},
): Detector {
  const hasGroup = pattern.source.includes("(?<secret>");
  const sticky = new RegExp(pattern.source, `y${hasGroup ? "d" : ""}`);
  const wordBefore = options.wordBefore ?? isAlnum;
  return {
    triggers,
    find(text, at) {
      if (!startsWord(text, at, wordBefore)) return undefined;
      sticky.lastIndex = at;
      const match = sticky.exec(text);
      if (match === null) return undefined;
      const [start, end] = hasGroup ? match.indices!.groups!.secret! : [at, at + match[0].length];
      if (options.accept && !options.accept(text.slice(start, end))) return undefined;
      return { start, end, type };
    },
  };
}

const PRIVATE_KEY_HEADER = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/y;
/** A line break, or its escape inside a JSON string. */
const LINE_BREAK = String.raw`(?:\r?\n|\\r\\n|\\n)`;
/**
 * One more line of a key block: a line break, then a whole line of base64 (short only as the last line
 * before the footer), a PEM header such as `Proc-Type: 4,ENCRYPTED`, or nothing (a blank line). The
 * line ends at a line break, a quote or the end, so a block never runs into the next JSON string.
 */
const PRIVATE_KEY_LINE = new RegExp(
  `${LINE_BREAK}(?<line>[A-Za-z0-9+/=]{8,}|[A-Za-z0-9+/=]+(?=${LINE_BREAK}-----END )|[A-Z][A-Za-z-]+: [^\\r\\n\\\\"]*|)(?=\\r?\\n|\\\\[rn]|\\\\?"|$)`,
  "y",
);
const PRIVATE_KEY_FOOTER = new RegExp(`${LINE_BREAK}-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`, "y");

/** `-----BEGIN … PRIVATE KEY-----`, its lines, and its footer when it has one (`head -5 key.pem` cuts it off). */
const privateKey: Detector = {
  triggers: ["-----BEGIN"],
  find(text, at) {
    PRIVATE_KEY_HEADER.lastIndex = at;
    if (!PRIVATE_KEY_HEADER.test(text)) return undefined;
    let end = PRIVATE_KEY_HEADER.lastIndex;
    let cursor = end;
    for (;;) {
      PRIVATE_KEY_FOOTER.lastIndex = cursor;
      if (PRIVATE_KEY_FOOTER.test(text)) return { start: at, end: PRIVATE_KEY_FOOTER.lastIndex, type: "private-key" };
      PRIVATE_KEY_LINE.lastIndex = cursor;
      const line = PRIVATE_KEY_LINE.exec(text);
      if (line === null) break;
      cursor = PRIVATE_KEY_LINE.lastIndex;
      if (line.groups!.line !== "") end = cursor;
    }
    return { start: at, end, type: "private-key" };
  },
};

const URL_CREDENTIALS = /:\/\/[^\s:@/?#"'\\<>]*:(?<secret>[^\s@/"'\\<>]+)@[A-Za-z0-9[]/dy;

/** `scheme://user:password@host`: the password goes, the user and host stay. */
const urlPassword: Detector = {
  triggers: ["://"],
  find(text, at) {
    URL_CREDENTIALS.lastIndex = at;
    const match = URL_CREDENTIALS.exec(text);
    if (match === null) return undefined;
    const [start, end] = match.indices!.groups!.secret!;
    const password = text.slice(start, end);
    if (isPlaceholder(password) || /^(?:pass|pwd|secret|x+|\*+)$/i.test(password)) return undefined;
    return { start, end, type: "password" };
  },
};

const BASIC_CREDENTIALS = /Basic[ \t]+(?<secret>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/dy;

/** `Authorization: Basic <base64 of user:password>`; the base64 must decode to printable `user:password`. */
const basicAuth: Detector = {
  triggers: ["Basic "],
  find(text, at) {
    BASIC_CREDENTIALS.lastIndex = at;
    const match = BASIC_CREDENTIALS.exec(text);
    if (match === null) return undefined;
    const decoded = Buffer.from(match.groups!.secret!, "base64").toString("latin1");
    if (!/^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded)) return undefined;
    const [start, end] = match.indices!.groups!.secret!;
    return { start, end, type: "basic-auth" };
  },
};

const EMAIL_LOCAL = (c: number) => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
const DOMAIN_CHAR = (c: number) => isAlnum(c) || c === 45 || c === 46;
/** Top-level domains that are file extensions in practice: `icon@2x.png`, `lib@1x.js`. */
const FILE_EXTENSIONS = new Set(
  "png jpg jpeg gif svg webp ico bmp js mjs cjs ts tsx jsx json css scss less html htm md txt py rb rs go java kt c h cpp hpp sh yml yaml toml lock xml map wasm zip gz tar pdf csv log".split(" "),
);
/** RFC 2606 / 6761 names that never reach a person. */
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost|local)$/i;

/** `local@domain.tld`, not `git@host:` remotes, `user:pass@host` URLs, `pkg@1.2.3` versions or `icon@2x.png` names. */
const email: Detector = {
  triggers: ["@"],
  find(text, at) {
    let start = at;
    while (start > 0 && EMAIL_LOCAL(text.charCodeAt(start - 1)) && !escapedAt(text, start - 1)) start--;
    if (start === at || text.charCodeAt(start) === 46) return undefined;
    const before = start > 0 ? text.charCodeAt(start - 1) : 0;
    if (before === 58 /* : */ || before === 47 /* / */) return undefined;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR(text.charCodeAt(end))) end++;
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    const domain = text.slice(at + 1, end);
    const dot = domain.lastIndexOf(".");
    if (dot <= 0) return undefined;
    const tld = domain.slice(dot + 1);
    if (!/^[A-Za-z]{2,24}$/.test(tld) || FILE_EXTENSIONS.has(tld.toLowerCase()) || RESERVED_DOMAIN.test(domain)) return undefined;
    if (text.slice(start, at) === "git") return undefined;
    return { start, end, type: "email" };
  },
};

const PATH_BEFORE = (c: number) => isKeyChar(c);
const UNIX_USER = /[A-Za-z0-9_][A-Za-z0-9_.@-]*/y;
const WINDOWS_USER = /[^\\/"'<>:|*?\x00-\x1f]+/y;
/** Folders that are no one's (`/Users/Shared`) or stand for anyone (`/home/user`, `/Users/USERNAME`). */
const NOT_A_PERSON = new Set(["shared", "public", "default", "default user", "all users", "guest", "user", "username", "yourname", "you"]);

/**
 * A name with spaces (`C:\Users\Jane Roe\Documents`) is taken whole only when a folder clearly follows:
 * backslashes, then an upper-case letter, digit, dot or underscore. A lower-case letter after a backslash
 * may be an escape (`\n`), and must read the same in a text and in its JSON encoding.
 */
function windowsFolderFollows(text: string, at: number): boolean {
  let i = at;
  while (text.charCodeAt(i) === 92) i++;
  return i > at && /[A-Z0-9._]/.test(text[i] ?? "");
}

/** `/home/<user>`, `/Users/<user>`, `C:\Users\<user>`: the user name goes, the path stays. */
const homeUser: Detector = {
  triggers: ["/home/", "/Users/", "Users\\", "users\\"],
  find(text, at, trigger) {
    let nameStart = at + trigger.length;
    let pattern = UNIX_USER;
    if (trigger.endsWith("\\")) {
      // C:\Users\bob, or with each backslash escaped once (raw JSON) or more (JSON of a Python repr).
      let colon = at;
      while (colon > 0 && text.charCodeAt(colon - 1) === 92) colon--;
      if (colon === at || text.charCodeAt(colon - 1) !== 58 || !/[A-Za-z]/.test(text[colon - 2] ?? "")) return undefined;
      while (text.charCodeAt(nameStart) === 92) nameStart++;
      pattern = WINDOWS_USER;
    } else if (!startsWord(text, at, PATH_BEFORE)) {
      return undefined;
    }
    pattern.lastIndex = nameStart;
    const match = pattern.exec(text);
    if (match === null) return undefined;
    let name = match[0];
    if (pattern === WINDOWS_USER && name.includes(" ") && !windowsFolderFollows(text, nameStart + name.length)) name = name.slice(0, name.indexOf(" "));
    if (name.length === 0 || NOT_A_PERSON.has(name.toLowerCase())) return undefined;
    return { start: nameStart, end: nameStart + name.length, type: "home-user" };
  },
};

const ASSIGNMENT = new RegExp(
  `(?<close>\\\\?["'])?[ \\t]*(?::=|=>|=|:)[ \\t]*(?:(?<open>\\\\?["'\`])(?<quoted>[${QUOTED_VALUE_CHARS}]+)|(?<bare>[${VALUE_CHARS}]+))`,
  "dy",
);
/** What may follow an unquoted value: the end, a space, a separator, a closing bracket or a `\n` escape. */
const VALUE_END = (c: number) =>
  Number.isNaN(c) || c <= 32 || c === 44 || c === 59 || c === 38 || c === 34 || c === 39 || c === 96 || c === 41 || c === 93 || c === 125 || c === 92 || c === 60 || c === 62 || c === 124;

/** `API_KEY=…`, `"client_secret": "…"`, `password: …`: a key naming a secret, assigned a value that looks like one. */
const assignment: Detector = {
  triggers: KEY_TRIGGERS,
  find(text, at, trigger) {
    let keyStart = at;
    while (keyStart > 0 && isKeyChar(text.charCodeAt(keyStart - 1)) && !escapedAt(text, keyStart - 1)) keyStart--;
    let keyEnd = at + trigger.length;
    while (keyEnd < text.length && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
    ASSIGNMENT.lastIndex = keyEnd;
    const match = ASSIGNMENT.exec(text);
    if (match === null) return undefined;
    const open = match.groups!.open;
    // `"pin": 123456` is a JSON number: replacing it would break the JSON.
    if (match.groups!.close !== undefined && open === undefined) return undefined;
    const [start, end] = match.indices!.groups![open === undefined ? "bare" : "quoted"]!;
    if (open !== undefined ? !text.startsWith(open, end) : !VALUE_END(text.charCodeAt(end))) return undefined;
    const key = text.slice(keyStart, keyEnd);
    const kind = secretKeyKind(key);
    const value = text.slice(start, end);
    if (kind === undefined || !isSecretValue(kind, value)) return undefined;
    return { start, end, type: assignmentType(key, kind, value) };
  },
};

export function assignmentType(key: string, kind: "password" | "token", value: string): SecretType {
  if (kind === "password") return "password";
  return isAwsSecretKey(key, value) ? "aws-secret-key" : "generic-secret";
}

/** Bearer tokens that are not a word or a `$VARIABLE`: long, mixed and random enough. */
function randomToken(secret: string): boolean {
  return secret.length >= 16 && !isPlaceholder(secret) && /[0-9]/.test(secret) && /[A-Za-z]/.test(secret);
}

/** Every detector, most specific first: the order is the priority when two findings overlap. */
export const DETECTORS: readonly Detector[] = [
  // AWS documents its examples as AKIA…EXAMPLE; they fill docs and tests and are no one's key.
  prefixed("aws-access-key", ["AKIA", "ASIA"], /(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/, { accept: (key) => !key.endsWith("EXAMPLE") }),
  prefixed("anthropic-key", ["sk-ant-"], /sk-ant-[a-z]+\d\d-[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/, { wordBefore: isTokenChar }),
  prefixed("openai-key", ["sk-"], /sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,})(?![A-Za-z0-9_-])/, { wordBefore: isTokenChar }),
  prefixed("github-token", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"], /(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/, { wordBefore: isTokenChar }),
  prefixed("gitlab-token", ["glpat-", "gldt-", "glrt-", "glptt-"], /gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/, { wordBefore: isTokenChar }),
  prefixed("huggingface-token", ["hf_"], /hf_[A-Za-z0-9]{30,40}(?![A-Za-z0-9_])/, { wordBefore: isTokenChar }),
  prefixed("slack-token", ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe"], /xox(?:[baprs]|e(?:\.xox[bp])?)-[A-Za-z0-9-]{10,}(?![A-Za-z0-9_-])/, { wordBefore: isTokenChar }),
  prefixed("slack-webhook", ["hooks.slack.com/"], /hooks\.slack\.com\/(?<secret>(?:services|workflows|triggers)\/[A-Za-z0-9_/]{20,})/, { wordBefore: () => false }),
  prefixed("stripe-key", ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"], /(?:[rs]k_(?:live|test)_[A-Za-z0-9]{20,}|whsec_[A-Za-z0-9+/]{24,})(?![A-Za-z0-9_])/, { wordBefore: isTokenChar }),
  prefixed("google-api-key", ["AIza"], /AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/, { wordBefore: isTokenChar }),
  prefixed("npm-token", ["npm_"], /npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/, { wordBefore: isTokenChar }),
  prefixed("pypi-token", ["pypi-"], /pypi-AgE[A-Za-z0-9_-]{50,}/, { wordBefore: isTokenChar }),
  prefixed("twilio-key", ["SK"], /SK[0-9a-fA-F]{32}(?![A-Za-z0-9])/),
  prefixed("sendgrid-key", ["SG."], /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/, { wordBefore: isTokenChar }),
  prefixed("azure-storage-key", ["AccountKey=", "SharedAccessKey="], /(?:AccountKey|SharedAccessKey)=(?<secret>[A-Za-z0-9+/]{20,}={0,2})/),
  prefixed("azure-sas", ["sig="], /sig=(?<secret>[A-Za-z0-9%+/]{30,}(?:%3D|=)*)/, { wordBefore: (c) => c !== 63 && c !== 38 && c !== 59 }),
  privateKey,
  prefixed("jwt", ["eyJ"], /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/, { wordBefore: isTokenChar }),
  urlPassword,
  prefixed("bearer-token", ["Bearer ", "bearer "], /[Bb]earer[ \t]+(?<secret>[A-Za-z0-9._~+/-]{16,}=*)(?![A-Za-z0-9._~+/=-])/, { accept: randomToken }),
  basicAuth,
  assignment,
  email,
  homeUser,
];
