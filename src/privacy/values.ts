// Rules for `key = value` secrets: which key names hold secrets, and which values are secrets rather
// than names, references, types or placeholders. The text scanner (`password: …` in a log) and the
// structured walk (`{"password": "…"}` in parsed JSON) both use these, so a JSON document and its
// parsed value are judged alike.

export type KeyKind = "password" | "token";

const KEY_NAME = /^[A-Za-z0-9_.-]+$/;

/** Last words that name a password. */
const PASSWORD_WORDS = new Set(["password", "passwd", "pwd", "pass", "passphrase", "passcode", "passwort"]);
/** Last words that name a token or secret (the value must look random to count). */
const TOKEN_WORDS = new Set(["secret", "token", "apikey", "credential", "credentials", "signature", "sig"]);
/** `<word>_key` names that hold secrets (a plain `key`, `cache_key` or `public_key` does not). */
const KEY_QUALIFIERS = new Set([
  "api", "access", "secret", "private", "auth", "master", "encryption", "signing", "client", "app", "service", "account", "storage", "license",
  "subscription", "session", "shared", "sas", "hmac", "webhook", "admin", "consumer", "x-api", "ssh", "gpg", "pgp", "decryption",
]);
/**
 * Words before `token` that make it a position, a count or a kind rather than a credential: pagination
 * cursors (`NextToken`, `nextPageToken`, `continuation_token`), idempotency and request ids, token
 * counts and types. Their values are kept (see docs/privacy.md, "High-entropy strings").
 */
const NOT_CREDENTIAL_TOKEN = new Set([
  "next", "page", "prev", "previous", "continuation", "pagination", "cursor", "sync", "resume", "start", "end", "marker", "offset", "idempotency",
  "request", "correlation", "trace", "max", "min", "num", "total", "count", "input", "output", "prompt", "completion", "cached", "reasoning", "type",
  "special", "eos", "bos", "pad", "unk", "sep", "cls", "mask", "stop", "split", "last",
]);

const kinds = new Map<string, KeyKind | undefined>();

/**
 * Whether a key name holds a password or a token, judged by its last word (`DB_PASSWORD`, `apiKey`,
 * `client-secret`), or how that word ends when words run together (`PGPASSWORD`, `githubtoken`).
 * Remembered (up to 10,000 names): the same keys come back in every record, and splitting a name into
 * words costs more than the scan of a short value. The coding-agent importers' withoutSecrets has its own
 * check of key names (secretKind in src/formats/common/coding-agents.ts), on purpose: it redacts config
 * subtrees without looking at the value, so it needs other names (`secret_registry`, `password_file` yes,
 * `pwd` no); see docs/privacy.md, "What is scanned".
 */
export function secretKeyKind(key: string): KeyKind | undefined {
  if (kinds.has(key)) return kinds.get(key);
  const kind = judgeKey(key);
  if (kinds.size < 10_000) kinds.set(key, kind);
  return kind;
}

function judgeKey(key: string): KeyKind | undefined {
  if (key.length > 64 || !KEY_NAME.test(key)) return undefined;
  const words = splitWords(key);
  const last = words[words.length - 1];
  if (last === undefined) return undefined;
  if (PASSWORD_WORDS.has(last) || /.(?:password|passwd|passphrase)$/.test(last)) return "password";
  const before = words[words.length - 2];
  if (TOKEN_WORDS.has(last) || /.(?:secret|token|apikey)$/.test(last)) return before !== undefined && NOT_CREDENTIAL_TOKEN.has(before) ? undefined : "token";
  if (last === "key" && before !== undefined && (KEY_QUALIFIERS.has(before) || words.includes("secret"))) return "token";
  return undefined;
}

/** `AWS_SECRET_ACCESS_KEY` → aws, secret, access, key; `clientSecret` → client, secret; `X-Api-Key` → x, api, key. */
export function splitWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter((word) => word.length > 0);
}

/** Words that make a value stand for a secret without being one (`your-api-key`, `sk-example`, `changeme`), at a word start. */
const PLACEHOLDER_WORD = /(?:^|[^a-z])(?:your|example|sample|placeholder|redacted|changeme|change_me|dummy|fixme|todo|insert|replace)/;
/** Masks and ellipses: `xxxx`, `XXXX`, `****`, `...` (a mask is written in one case: `jxxXXb` is a random token's). */
const PLACEHOLDER_PARTS = ["xxxx", "XXXX", "****", "...", "…"];
/** Words that are types, keywords, prompts or form labels rather than passwords. */
const NOT_SECRETS = new Set([
  "undefined", "null", "nil", "none", "true", "false", "yes", "no", "on", "off", "string", "str", "text", "varchar", "char", "bytes", "int", "integer",
  "number", "bool", "boolean", "any", "object", "optional", "required", "nullable", "hidden", "input", "field", "value", "default", "empty", "blank",
  "password", "passwords", "passwd", "pass", "pwd", "secret", "secrets", "token", "tokens", "key", "keys", "credential", "credentials", "prompt",
  "stdin", "env", "file", "auto", "disabled", "enabled", "self", "this", "new", "type", "unknown", "omitted", "masked", "sensitive", "secretstr",
  "secretstring", "secretbytes", "protected", "private", "public", "unset", "missing", "invalid", "correct", "wrong", "incorrect", "new_password",
  "old_password", "confirm", "confirmation", "mismatch", "expired", "reset", "forgot", "username", "user", "secure", "strong", "weak", "plain", "plaintext", "hash", "hashed", "encrypted", "bcrypt", "argon2", "md5", "sha1", "sha256", "basic",
  "bearer", "digest", "oauth", "jwt", "none", "function", "callable", "async", "await", "return", "lambda", "static", "final", "const", "let", "var",
  "mut", "ref", "out", "in", "of", "is", "the", "a", "an", "fail", "failed", "passed", "ok", "success", "error", "skip", "skipped", "pending",
]);

/** References, templates and markers: `$VAR`, `${VAR}`, `$(cmd)`, `%VAR%`, `{var}`, `<your-token>`, `[REDACTED]`, YAML `!vault` tags and `*alias`es. */
const REFERENCE = /^(?:\$[A-Za-z_{(]|%\w+%$|\{[\w.\s]*\}$|<[\w\s.|-]+>[,;)"']?$|\[[^[\]]*\]$|[!*][A-Za-z_-]+$)/;
/** A name that says what it stands for: `my_token`, `api-key-here`, `SECRET_VALUE` (words joined by `_` or `-`, one of them the word). */
const NAMED_STAND_IN = /^(?:[A-Za-z]+[_-])*(?:token|secret|key|password|passwd|pass|apikey)(?:[_-][A-Za-z]+)*$|^[A-Za-z]*pass(?:word|wd)[A-Za-z]*$/i;
/** A version or a version range: `^1.0.0`, `~2.3`, `>=1.2.3`, `1.2.3-beta.1`. */
const VERSION = /^(?:[\^~<>=]=?|v)?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$/;

export function isPlaceholder(value: string): boolean {
  if (REFERENCE.test(value) || NAMED_STAND_IN.test(value) || VERSION.test(value)) return true;
  if (/(.)\1{3,}/.test(value) && new Set(value).size <= 2) return true;
  if (/(.)\1{5,}/.test(value)) return true;
  const lower = value.toLowerCase();
  if (NOT_SECRETS.has(lower)) return true;
  if (/^(?:required|nullable|sometimes|confirmed)(?:[|:]|$)/.test(lower)) return true;
  if (value.includes("${") || value.includes("{{") || value.includes("<%") || value.includes("#{")) return true;
  return PLACEHOLDER_WORD.test(lower) || lower.includes("<secret") || PLACEHOLDER_PARTS.some((part) => value.includes(part));
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

/** `opts.password`, `some-secret-name`, `process.env.API_TOKEN`, `secrets/db`: words joined by separators, no digits. */
function looksLikeIdentifier(value: string): boolean {
  const parts = value.split(/[._/:-]+/).filter((p) => p.length > 0);
  return parts.length > 1 && parts.every((p) => /^[A-Za-z]+$/.test(p));
}

/**
 * Code, not a literal: a call (`getpass()`, `input("…")`), an index (`env["X"]`, `args[1]`), a member
 * (`self.password`, `req.body.pw`), a `camelCase` or `snake_case` name, an `UPPER_SNAKE` constant.
 */
function looksLikeCode(value: string): boolean {
  // A call or an index: `getpass()`, `input("…`, `get(f"…`, `args.get(name`, `after.passed.filter((t)`, `env["X"]`, `argv[1]`.
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?:\((?:$|[)([]|[\w$.]*["']|[\w$.]+(?:[,)]|$))|\[["'0-9])/.test(value)) return true;
  // A parameter list, a flag's alias or a type: `(reason:`, `(a, b)`, `(-p)`, `string[]`, `Optional[str]`, `Array<string>`; a hex literal.
  if (/^\((?:\)|[\w$]+[:,)]|-{1,2}[\w-]+\))/.test(value) || /^[A-Za-z_$][\w$.]*(?:\[\]|\[[\w\s,|.]+\]?|<[\w\s,|.<>[\]]+>)[;,]?$/.test(value)) return true;
  if (/^0x[0-9A-Fa-f]+$/.test(value)) return true;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) && !/\d/.test(value)) return true;
  if (/^[a-z]+(?:[A-Z][a-z]*)+$/.test(value) || /^[A-Z][a-z]+(?:[A-Z][a-z]*)+$/.test(value)) return true;
  if (/^[a-z]+(?:_[a-z]+)+$/.test(value) || /^[A-Z]+(?:_[A-Z0-9]+)+$/.test(value)) return true;
  return false;
}

/** An identifier with a number, not a random token: `defaultToConfig2`, `request_id_2`, `SemicolonToken1`. */
function looksLikeName(value: string): boolean {
  return /^(?:[a-z]+|[A-Z][a-z]+)(?:[A-Z][a-z]+)+\d{0,3}$/.test(value) || /^[a-z]+(?:[_-][a-z]+)+[_-]?\d{0,3}$/.test(value);
}

/** Where a value stands, as far as telling a password from text and code goes. */
export interface ValueContext {
  /** Quoted, or all that follows the key on its line: only then may it be letters only. */
  whole: boolean;
  /** Quoted (a literal, not code). */
  quoted: boolean;
  /** A place that holds nothing but a password (`-p` of sshpass, a URL's password, `<password>…</password>`): phrases count. */
  certain?: boolean;
}

/**
 * Whether `value`, assigned to a password key, is a password: any printable characters (letters only
 * too), 4 to 200 of them, that are not a placeholder, a reference or code. Letters only count when
 * the value is quoted or is all that follows the key on its line (`password: The password to use` and
 * `password: string;` are text and code, `password: hunter` is not); a phrase with spaces counts when
 * quoted and holding a digit, or wherever only a password can stand.
 */
export function isPasswordValue(value: string, context: ValueContext): boolean {
  if (value.length < 4 || value.length > 200 || isPlaceholder(value) || looksLikeIdentifier(value)) return false;
  // (Where only a password can stand — `mysql -pNayQSVKz` — a name-like value is one.)
  if (context.certain) return true;
  if (!context.quoted && looksLikeCode(value)) return false;
  if (/^[A-Za-z]+$/.test(value) && !context.whole) return false;
  if (/\s/.test(value)) return context.quoted && value.length <= 64 && /[0-9]/.test(value) && value.split(/\s+/).length <= 4;
  return true;
}

/**
 * Whether `value`, assigned to a token or secret key, looks random: 16+ characters of a token's
 * alphabet (base64, base64url, hex: letters, digits, `+/=_-.~`), letters and a digit, 3+ bits of
 * entropy each, and not a name with a number in it.
 */
export function isTokenValue(value: string): boolean {
  if (value.length < 16 || value.length > 1024 || !/^[A-Za-z0-9+/=_.~-]+$/.test(value) || isPlaceholder(value) || looksLikeIdentifier(value)) return false;
  return /[0-9]/.test(value) && /[A-Za-z]/.test(value) && !looksLikeCode(value) && !looksLikeName(value) && entropy(value) >= 3;
}

export function isSecretValue(kind: KeyKind, value: string, context: ValueContext): boolean {
  return kind === "password" ? isPasswordValue(value, context) : isTokenValue(value);
}

/** A whole string value under a secret-holding key (the structured form of `key = "value"`). */
export function isWholeSecretValue(kind: KeyKind, value: string): boolean {
  return !/[\r\n]/.test(value) && isSecretValue(kind, value, { whole: true, quoted: true });
}

/** 40 base64 characters under a key naming a secret access key: AWS's secret key. */
export function isAwsSecretKey(key: string, value: string): boolean {
  if (value.length !== 40 || !/^[A-Za-z0-9/+]{40}$/.test(value)) return false;
  const words = splitWords(key);
  return words.includes("secret") && words.includes("access");
}
