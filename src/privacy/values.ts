// Rules for `key = value` secrets: which key names hold secrets, and which values look like one.
// The text scanner (`token = "…"` in logs) and the structured walk (`{"token": "…"}` in parsed tool
// arguments) both use these, so a raw argument string and its parsed value are redacted alike.

/** Characters an unquoted secret value may contain (no quotes, backslashes, spaces or `&`, which ends a query parameter). */
export const VALUE_CHARS = "A-Za-z0-9_\\-+/=.~!@#$%^*";
/** A quoted value may also hold `&`. */
export const QUOTED_VALUE_CHARS = `${VALUE_CHARS}&`;
/** A string value in parsed JSON was quoted in its raw text. */
const WHOLE_VALUE = new RegExp(`^[${QUOTED_VALUE_CHARS}]+$`);
const KEY_NAME = /^[A-Za-z0-9_.-]+$/;

/** Case-sensitive words one of which a secret-holding key name contains; they trigger the text scan. */
export const KEY_TRIGGERS = [
  "token", "Token", "TOKEN",
  "secret", "Secret", "SECRET",
  "pass", "Pass", "PASS",
  "pwd", "Pwd", "PWD",
  "key", "Key", "KEY",
  "credential", "Credential", "CREDENTIAL",
] as const;
const KEY_TRIGGER = new RegExp(KEY_TRIGGERS.join("|"));

export type KeyKind = "password" | "token";

const PASSWORD_WORDS = new Set(["password", "passwd", "pwd", "pass", "passphrase"]);
const TOKEN_WORDS = new Set(["secret", "token", "apikey", "credential", "credentials"]);
/** `<word>_key` names that hold secrets (a plain `key` or `cache_key` does not). */
const KEY_QUALIFIERS = new Set([
  "api", "access", "secret", "private", "auth", "master", "encryption", "signing", "client", "app", "service", "account", "storage", "license", "subscription", "session",
]);

/**
 * Whether a key name holds a password or a token, judged by its last word (`DB_PASSWORD`, `apiKey`,
 * `client-secret`), or how that word ends when words run together (`PGPASSWORD`, `githubtoken`).
 */
export function secretKeyKind(key: string): KeyKind | undefined {
  if (!KEY_NAME.test(key) || !KEY_TRIGGER.test(key)) return undefined;
  const words = splitWords(key);
  const last = words[words.length - 1];
  if (last === undefined) return undefined;
  if (PASSWORD_WORDS.has(last) || /.(?:password|passwd|passphrase)$/.test(last)) return "password";
  if (TOKEN_WORDS.has(last) || /.(?:secret|token|apikey)$/.test(last)) return "token";
  if (last === "key" && words.length > 1 && (KEY_QUALIFIERS.has(words[words.length - 2]!) || words.includes("secret"))) return "token";
  return undefined;
}

/** `AWS_SECRET_ACCESS_KEY` → aws, secret, access, key; `clientSecret` → client, secret. */
export function splitWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter((word) => word.length > 0);
}

/** Values that stand for a secret without being one: `$TOKEN`, `%PASSWORD%`, `xxxxxxxx`, `your-api-key`. */
const PLACEHOLDER_PARTS = ["your", "example", "placeholder", "redacted", "changeme", "dummy", "<secret"];
const NOT_SECRETS = new Set(["undefined", "null", "none", "true", "false", "string", "required", "optional", "password", "secret", "token"]);

export function isPlaceholder(value: string): boolean {
  const first = value.charCodeAt(0);
  if (first === 36 /* $ */ || first === 37 /* % */) return true;
  if (/(.)\1{5,}/.test(value)) return true;
  const lower = value.toLowerCase();
  if (NOT_SECRETS.has(lower)) return true;
  return PLACEHOLDER_PARTS.some((part) => lower.includes(part));
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Lower, upper, digit, other: how many of these classes occur. */
function classes(value: string): { lower: boolean; upper: boolean; digit: boolean; other: boolean } {
  const seen = { lower: false, upper: false, digit: false, other: false };
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) seen.lower = true;
    else if (c >= 65 && c <= 90) seen.upper = true;
    else if (c >= 48 && c <= 57) seen.digit = true;
    else seen.other = true;
  }
  return seen;
}

/** `opts.password`, `some-secret-name`, `process.env.API_TOKEN`: words joined by separators, no digits. */
function looksLikeIdentifier(value: string): boolean {
  const parts = value.split(/[._/-]+/).filter((p) => p.length > 0);
  return parts.length > 1 && parts.every((p) => /^[A-Za-z]+$/.test(p));
}

/** Whether `value`, assigned to a key of this kind, is a secret rather than a name, a reference or a placeholder. */
export function isSecretValue(kind: KeyKind, value: string): boolean {
  if (value.length < 6 || value.length > 1024 || isPlaceholder(value) || looksLikeIdentifier(value)) return false;
  const seen = classes(value);
  if (kind === "password") return (seen.digit || seen.other) && entropy(value) >= 2;
  // A digit keeps out code (`credentials: corsAttributeState`); a random token of 16+ characters almost surely has one.
  return value.length >= 16 && seen.digit && (seen.lower || seen.upper) && entropy(value) >= 3;
}

/** A whole string value under a secret-holding key (the structured form of `key = value`). */
export function isWholeSecretValue(kind: KeyKind, value: string): boolean {
  return WHOLE_VALUE.test(value) && isSecretValue(kind, value);
}

/** 40 base64 characters under a key naming a secret access key: AWS's secret key. */
export function isAwsSecretKey(key: string, value: string): boolean {
  if (value.length !== 40 || !/^[A-Za-z0-9/+]{40}$/.test(value)) return false;
  const words = splitWords(key);
  return words.includes("secret") && words.includes("access");
}
