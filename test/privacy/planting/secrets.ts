// Secrets a user expects to be redacted, each written the way its issuer makes it and placed in one
// of the contexts it turns up in (env files, YAML, JSON, URLs, connection strings, command lines,
// HTTP headers, prose), encoded as that context requires. Independent of the detectors: the
// alphabets, lengths and encodings come from the issuers' and formats' own rules.
import { RandomText } from "../random-text.js";
import type { SecretType } from "../../../src/privacy/types.js";

/** One planted secret: `text` goes into a record; every string of `values` must be gone after redaction. */
export interface Plant {
  kind: SecretType;
  /** The context it was written in, for the report. */
  form: string;
  text: string;
  values: string[];
  /** The text right before and after the secret: a clean redaction leaves `before<SECRET:…>after`. */
  before: string;
  after: string;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const URLSAFE = `${ALNUM}-_`;
const HEX = "0123456789abcdef";
/** Printable ASCII but space: what a password may hold. */
const PRINTABLE = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join("");
const WORDS = ["sunshine", "dragon", "monkey", "shadow", "harbor", "violet", "granite", "orchid", "pepper", "falcon", "meadow", "copper", "lantern", "thunder", "maple", "cobalt"];
const FIRST = ["jane", "omar", "li", "priya", "lucas", "sofia", "kwame", "mei", "ivan", "fatima", "noah", "elena", "tariq", "yuki", "diego", "anika"];
const LAST = ["roe", "haddad", "wang", "sharma", "martin", "rossi", "mensah", "chen", "petrov", "khan", "smith", "garcia", "aziz", "tanaka", "lopez", "berg"];

export class SecretMaker extends RandomText {
  constructor(seed: number) {
    super(seed, "planted-secrets");
  }

  pick<T>(items: readonly T[]): T {
    return this.random.pick(items);
  }

  person(): { first: string; last: string } {
    return { first: this.pick(FIRST), last: this.pick(LAST) };
  }

  /** A password: mostly any printable characters, sometimes letters only, sometimes words and digits. */
  password(): string {
    const roll = this.random.next();
    if (roll < 0.15) return this.pick([() => this.pick(WORDS), () => this.pick(WORDS) + this.pick(WORDS), () => this.pick(WORDS).replace(/^./, (c) => c.toUpperCase())])();
    if (roll < 0.3) return `${this.pick(WORDS)}${this.chars(DIGITS, this.random.int(1, 4))}${this.pick(["!", "#", "?", "&", "", "."])}`;
    for (;;) {
      const out = this.chars(PRINTABLE, this.random.int(8, 20));
      // Values that stand for a variable or template everywhere (`$HOME`, `${x}`, `%X%`, `{{x}}`) are references by policy (docs/privacy.md).
      if (!/^\$[A-Za-z_{(]|^%\w+%$|\{\{|\$\{|<%|#\{/.test(out)) return out;
    }
  }
}

/** A shell word for `s`: bare when safe, else single-quoted, else (holding `'`) double-quoted with `\\` escapes. */
function shellWord(s: string): [open: string, inner: string, close: string] {
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(s)) return ["", s, ""];
  if (!s.includes("'")) return ["'", s, "'"];
  return ['"', s.replace(/["\\$`]/g, "\\$&"), '"'];
}
/** A JSON (or YAML double-quoted) string for `s`: quotes and the escaped inside. */
const jsonString = (s: string): [string, string, string] => ['"', JSON.stringify(s).slice(1, -1), '"'];
/** What a URL's user information or query value needs escaped. */
const urlEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** A YAML scalar: plain when YAML allows it, else double-quoted. */
const yamlScalar = (s: string): [string, string, string] => (/^[A-Za-z0-9][^:#'"\s\\]*$/.test(s) ? ["", s, ""] : jsonString(s));
/** A .env value: bare when it holds no space, quote, `#`, `$` or backslash, else single-quoted (no escapes inside), else double-quoted. */
const dotenvValue = (s: string): [string, string, string] => (/^[^\s'"#$\\`]+$/.test(s) ? ["", s, ""] : s.includes("'") ? jsonString(s) : ["'", s, "'"]);

interface Written {
  form: string;
  before: string;
  value: string;
  after: string;
  /** Other strings that must be gone too (the lines of a key). */
  also?: string[];
}

/** `before + value + after`, the value as written (encoded for its context). */
function plant(kind: SecretType, w: Written): Plant {
  return { kind, form: w.form, text: `${w.before}${w.value}${w.after}`, values: [w.value, ...(w.also ?? [])], before: w.before, after: w.after };
}

type Context = (m: SecretMaker, secret: string) => Written;

/** The contexts any key or token turns up in, for a variable or field name. */
function tokenContexts(envName: string, jsonName: string): Context[] {
  return [
    (_, s) => ({ form: "env", before: `export ${envName}=`, value: s, after: "\n" }),
    (_, s) => ({ form: "dotenv", before: `${envName}="`, value: s, after: `"\n` }),
    (_, s) => ({ form: "yaml", before: `  ${jsonName}: `, value: s, after: "\n" }),
    (_, s) => ({ form: "json", before: `{"${jsonName}": "`, value: s, after: `", "region": "eu-west-1"}` }),
    (_, s) => ({ form: "prose", before: "I rotated the old one; the new credential is ", value: s, after: " so please update CI." }),
    (_, s) => ({ form: "python", before: `client = Client(${jsonName}="`, value: s, after: `")\n` }),
  ];
}

function kindMaker(kind: SecretType, make: (m: SecretMaker) => string, contexts: Context[]): (m: SecretMaker) => Plant {
  return (m) => plant(kind, m.pick(contexts)(m, make(m)));
}

const awsId = (m: SecretMaker) => `${m.pick(["AKIA", "ASIA"])}${m.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
const jwt = (m: SecretMaker) => {
  const header = Buffer.from(JSON.stringify({ alg: m.pick(["HS256", "RS256"]), typ: "JWT" })).toString("base64url");
  const payload = Buffer.from(JSON.stringify({ sub: m.chars(DIGITS, 10), email: `${m.person().first}@corp.io`, iat: m.random.int(1.6e9, 1.8e9) })).toString("base64url");
  return `${header}.${payload}.${m.base64(32).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
};

/** `before`, then the value inside its quotes (the quotes stay), then `after`. */
function quoted(form: string, before: string, [open, inner, close]: [string, string, string], after: string): Written {
  return { form, before: `${before}${open}`, value: inner, after: `${close}${after}` };
}

const PASSWORD_CONTEXTS: ((m: SecretMaker, p: string) => Written)[] = [
  (_, p) => quoted("dotenv", "DB_PASSWORD=", dotenvValue(p), "\n"),
  (_, p) => quoted("shell export", "export PGPASSWORD=", shellWord(p), "\n"),
  (_, p) => quoted("yaml", "    password: ", yamlScalar(p), "\n"),
  (_, p) => quoted("json", '{"username": "svc", "password": ', jsonString(p), "}"),
  (_, p) => ({ form: "ini", before: "[client]\nuser = app\npassword = ", value: p, after: "\n" }),
  (_, p) => ({ form: "properties", before: "spring.datasource.password=", value: p.replace(/\\/g, "\\\\"), after: "\n" }),
  (_, p) => ({ form: "url", before: "DATABASE_URL=postgres://app:", value: urlEncode(p), after: "@db.internal:5432/app\n" }),
  (_, p) => ({ form: "jdbc query", before: "jdbc:mysql://db:3306/shop?user=root&password=", value: urlEncode(p), after: "&useSSL=true" }),
  (m, p) => {
    // SQL Server: a value holding `;` or starting with a quote or brace is wrapped in braces (`}` doubled).
    const braced = /[;{}'"]/.test(p);
    const before = `jdbc:sqlserver://sql${m.chars(DIGITS, 2)}.corp:1433;databaseName=orders;user=sa;password=${braced ? "{" : ""}`;
    return { form: "jdbc sqlserver", before, value: braced ? p.replace(/}/g, "}}") : p, after: `${braced ? "}" : ""};encrypt=true` };
  },
  (_, p) => ({ form: "odbc", before: "Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql.corp,1433;Uid=etl;Pwd={", value: p.replace(/}/g, "}}"), after: "};Encrypt=yes;" }),
  (_, p) => quoted("cli --password=", "mysqldump --user=backup --password=", shellWord(p), " shop > shop.sql"),
  (_, p) => quoted("cli --password", "pg_restore --host db --password ", shellWord(p), " -d app dump.sql"),
  (_, p) => quoted("mysql -p", "mysql -u root -p", shellWord(p), " -h 127.0.0.1 shop"),
  (_, p) => quoted("sshpass", "sshpass -p ", shellWord(p), " ssh deploy@build-01 uptime"),
  (_, p) => quoted("docker login", "docker login -u ci-bot -p ", shellWord(p), " registry.corp.io"),
  (_, p) => {
    const [open, inner, close] = shellWord(`admin:${p}`);
    return { form: "curl -u", before: `curl -sS -u ${open}admin:`, value: inner.slice(6), after: `${close} https://jenkins.corp.io/api/json` };
  },
  (_, p) => ({ form: "xml", before: "<server>\n  <id>nexus</id>\n  <username>deploy</username>\n  <password>", value: xmlEscape(p), after: "</password>\n</server>" }),
  (_, p) => ({ form: "netrc", before: "machine api.corp.io login deploy password ", value: p, after: "\n" }),
  (_, p) => quoted("python kwarg", "conn = psycopg2.connect(host='db', user='app', password=", jsonString(p), ")\n"),
];

/** Phone numbers as people write them: international, and the national formats of several countries. */
function phone(m: SecretMaker): string {
  const d = (n: number) => m.chars(DIGITS, n);
  const n2 = () => m.chars("23456789", 1);
  return m.pick([
    () => `+1 ${n2()}${d(2)} ${n2()}${d(2)} ${d(4)}`,
    () => `+1-${n2()}${d(2)}-${n2()}${d(2)}-${d(4)}`,
    () => `+1${n2()}${d(2)}${n2()}${d(2)}${d(4)}`,
    () => `+44 20 ${d(4)} ${d(4)}`,
    () => `+44 7${d(3)} ${d(6)}`,
    () => `+33 ${m.pick(["1", "6", "7"])} ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
    () => `+49 30 ${d(7)}`,
    () => `+49 151 ${d(8)}`,
    () => `+91 ${m.chars("6789", 1)}${d(4)} ${d(5)}`,
    () => `+81 3-${d(4)}-${d(4)}`,
    () => `+61 4${d(2)} ${d(3)} ${d(3)}`,
    () => `+55 11 9${d(4)}-${d(4)}`,
    () => `+34 6${d(2)} ${d(3)} ${d(3)}`,
    () => `(${n2()}${d(2)}) ${n2()}${d(2)}-${d(4)}`,
    () => `${n2()}${d(2)}-${n2()}${d(2)}-${d(4)}`,
    () => `${n2()}${d(2)}.${n2()}${d(2)}.${d(4)}`,
    () => `020 ${d(4)} ${d(4)}`,
    () => `07${d(3)} ${d(6)}`,
    () => `0${m.pick(["1", "6", "7"])} ${d(2)} ${d(2)} ${d(2)} ${d(2)}`,
    () => `030 ${d(7)}`,
    () => `0151 ${d(8)}`,
    () => `03-${d(4)}-${d(4)}`,
    () => `04${d(2)} ${d(3)} ${d(3)}`,
  ])();
}

/** A public IPv4 address: outside the ranges kept by policy (private, loopback, documentation, …). */
function publicIpv4(m: SecretMaker): string {
  for (;;) {
    const [a, b, c, d] = [m.random.int(1, 223), m.random.int(0, 255), m.random.int(0, 255), m.random.int(1, 254)];
    const kept = a === 10 || a === 127 || a === 0 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && (b === 168 || (b === 0 && (c === 0 || c === 2)))) || (a === 198 && (b === 18 || b === 19 || (b === 51 && c === 100))) || (a === 203 && b === 0 && c === 113);
    const resolver = ["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "4.2.2.2", "4.2.2.1"].includes(`${a}.${b}.${c}.${d}`);
    if (!kept && !resolver) return `${a}.${b}.${c}.${d}`;
  }
}

/** A global unicast IPv6 address (2000::/3, not the documentation prefix), written as RFC 5952 says. */
function publicIpv6(m: SecretMaker): string {
  const groups = Array.from({ length: 8 }, (_, i) => (i === 0 ? m.random.int(0x2000, 0x3fff) : m.random.next() < 0.25 ? 0 : m.random.int(0, 0xffff)));
  if (groups[0] === 0x2001 && groups[1] === 0x0db8) groups[1] = 0x0db9;
  const hex = groups.map((g) => g.toString(16));
  // The longest run (2+) of zero groups becomes `::`.
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best[1]! && j - i >= 2) best = [i, j - i];
    i = j;
  }
  if (best[0] === -1) return hex.join(":");
  return `${hex.slice(0, best[0]).join(":")}::${hex.slice(best[0]! + best[1]!).join(":")}`;
}

function luhnDigit(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = partial.charCodeAt(partial.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** A card number of a real network (IIN and length), Luhn-valid, printed as people print it. */
function card(m: SecretMaker): string {
  const [prefix, length] = m.pick<[string, number]>([
    ["4", 16], ["4", 16], ["5" + m.chars("12345", 1), 16], [String(m.random.int(2221, 2720)), 16], ["3" + m.chars("47", 1), 15], ["6011", 16], ["65", 16],
    [String(m.random.int(3528, 3589)), 16], ["36", 14], ["62", 16],
  ]);
  const body = prefix + m.chars(DIGITS, length - prefix.length - 1);
  const digits = body + luhnDigit(body);
  const groups = length === 15 ? [4, 6, 5] : length === 14 ? [4, 6, 4] : [4, 4, 4, 4];
  const separator = m.pick([" ", "-", ""]);
  let at = 0;
  return groups.map((g) => digits.slice(at, (at += g))).join(separator);
}

/** A valid IBAN (length of its country, mod-97 check digits), compact or in groups of four. */
function ibanNumber(m: SecretMaker): string {
  const [country, bban] = m.pick<[string, () => string]>([
    ["DE", () => m.chars(DIGITS, 18)], ["FR", () => m.chars(DIGITS, 23)], ["ES", () => m.chars(DIGITS, 20)], ["IT", () => `${m.chars(UPPER, 1)}${m.chars(DIGITS, 22)}`],
    ["GB", () => `${m.chars(UPPER, 4)}${m.chars(DIGITS, 14)}`], ["NL", () => `${m.chars(UPPER, 4)}${m.chars(DIGITS, 10)}`], ["BE", () => m.chars(DIGITS, 12)],
    ["CH", () => m.chars(DIGITS, 17)], ["AT", () => m.chars(DIGITS, 16)], ["PL", () => m.chars(DIGITS, 24)], ["SE", () => m.chars(DIGITS, 20)], ["IE", () => `${m.chars(UPPER, 4)}${m.chars(DIGITS, 14)}`],
  ]);
  const b = bban();
  const numeric = `${b}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const ch of numeric) remainder = (remainder * 10 + Number(ch)) % 97;
  const iban = `${country}${String(98 - remainder).padStart(2, "0")}${b}`;
  return m.random.next() < 0.5 ? iban : iban.replace(/(.{4})/g, "$1 ").trim();
}

const homeName = (m: SecretMaker) => {
  const { first, last } = m.person();
  return m.pick([first, `${first}.${last}`, `${first[0]}${last}`, `${first}${m.chars(DIGITS, 2)}`]);
};

/** Every kind a user expects redacted, with its makers. */
export const KINDS: Record<string, (m: SecretMaker) => Plant> = {
  "aws-access-key": kindMaker("aws-access-key", awsId, tokenContexts("AWS_ACCESS_KEY_ID", "aws_access_key_id")),
  "aws-secret-key": kindMaker("aws-secret-key", (m) => m.token(`${ALNUM}+/`, 40), [
    (_, s) => ({ form: "ini", before: "aws_secret_access_key = ", value: s, after: "\n" }),
    (_, s) => ({ form: "env", before: "AWS_SECRET_ACCESS_KEY=", value: s, after: "\n" }),
    (_, s) => ({ form: "json", before: '{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "', value: s, after: '"}' }),
  ]),
  "github-token": kindMaker("github-token", (m) => (m.random.next() < 0.7 ? `${m.pick(["ghp_", "gho_", "ghs_", "ghu_"])}${m.token(ALNUM, 36)}` : `github_pat_${m.token(ALNUM, 22)}_${m.token(ALNUM, 59)}`), [
    ...tokenContexts("GITHUB_TOKEN", "github_token"),
    (_, s) => ({ form: "git remote", before: "origin\thttps://x-access-token:", value: s, after: "@github.com/acme/api.git (fetch)" }),
    (_, s) => ({ form: "header", before: "curl -H 'Authorization: token ", value: s, after: "' https://api.github.com/user" }),
  ]),
  "gitlab-token": kindMaker("gitlab-token", (m) => `glpat-${m.token(URLSAFE, 20)}`, tokenContexts("GITLAB_TOKEN", "private_token")),
  "openai-key": kindMaker("openai-key", (m) => (m.random.next() < 0.6 ? `sk-proj-${m.token(URLSAFE, m.random.int(48, 156))}` : `sk-${m.token(ALNUM, 20)}T3BlbkFJ${m.token(ALNUM, 20)}`), tokenContexts("OPENAI_API_KEY", "api_key")),
  "anthropic-key": kindMaker("anthropic-key", (m) => `sk-ant-api03-${m.token(URLSAFE, 93)}AA`, tokenContexts("ANTHROPIC_API_KEY", "api_key")),
  "huggingface-token": kindMaker("huggingface-token", (m) => `hf_${m.token(ALNUM, 34)}`, tokenContexts("HF_TOKEN", "token")),
  "slack-token": kindMaker("slack-token", (m) => `${m.pick(["xoxb", "xoxp"])}-${m.chars(DIGITS, 11)}-${m.chars(DIGITS, 13)}-${m.token(ALNUM, 24)}`, tokenContexts("SLACK_BOT_TOKEN", "bot_token")),
  "slack-webhook": kindMaker("slack-webhook", (m) => `services/T${m.token(UPPER + DIGITS, 8)}/B${m.token(UPPER + DIGITS, 10)}/${m.token(ALNUM, 24)}`, [
    (_, s) => ({ form: "env", before: "SLACK_WEBHOOK_URL=https://hooks.slack.com/", value: s, after: "\n" }),
    (_, s) => ({ form: "curl", before: "curl -X POST -d @msg.json https://hooks.slack.com/", value: s, after: "\n" }),
  ]),
  "stripe-key": kindMaker("stripe-key", (m) => `${m.pick(["sk_live_", "rk_live_", "sk_test_"])}${m.token(ALNUM, m.random.int(24, 99))}`, tokenContexts("STRIPE_SECRET_KEY", "secret_key")),
  "google-api-key": kindMaker("google-api-key", (m) => `AIza${m.token(URLSAFE, 35)}`, [
    ...tokenContexts("GOOGLE_API_KEY", "apiKey"),
    (_, s) => ({ form: "url", before: "https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key=", value: s, after: " 200 OK" }),
  ]),
  "npm-token": kindMaker("npm-token", (m) => `npm_${m.token(ALNUM, 36)}`, [
    (_, s) => ({ form: "npmrc", before: "//registry.npmjs.org/:_authToken=", value: s, after: "\n" }),
    ...tokenContexts("NPM_TOKEN", "npm_token"),
  ]),
  "pypi-token": kindMaker("pypi-token", (m) => `pypi-AgEIcHlwaS5vcmc${m.token(URLSAFE, m.random.int(60, 150))}`, [
    (_, s) => ({ form: "pypirc", before: "[pypi]\nusername = __token__\npassword = ", value: s, after: "\n" }),
    ...tokenContexts("TWINE_PASSWORD", "password"),
  ]),
  "twilio-key": kindMaker("twilio-key", (m) => `SK${m.token(HEX, 32)}`, tokenContexts("TWILIO_API_KEY", "api_key_sid")),
  "sendgrid-key": kindMaker("sendgrid-key", (m) => `SG.${m.token(URLSAFE, 22)}.${m.token(URLSAFE, 43)}`, tokenContexts("SENDGRID_API_KEY", "sendgrid_api_key")),
  "azure-storage-key": kindMaker("azure-storage-key", (m) => m.base64(64), [
    (m, s) => ({ form: "connection string", before: `DefaultEndpointsProtocol=https;AccountName=store${m.chars(DIGITS, 3)};AccountKey=`, value: s, after: ";EndpointSuffix=core.windows.net" }),
    (_, s) => ({ form: "service bus", before: "Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=", value: s, after: "\n" }),
  ]),
  "azure-sas": kindMaker("azure-sas", (m) => encodeURIComponent(m.base64(32)), [
    (_, s) => ({ form: "url", before: "https://store.blob.core.windows.net/exports/a.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01T00:00:00Z&spr=https&sig=", value: s, after: " downloaded" }),
  ]),
  jwt: kindMaker("jwt", jwt, [
    (_, s) => ({ form: "json", before: '{"access_token":"', value: s, after: '","token_type":"Bearer","expires_in":3600}' }),
    (_, s) => ({ form: "cookie", before: "Set-Cookie: id_token=", value: s, after: "; Path=/; Secure" }),
    (_, s) => ({ form: "prose", before: "Decoding ", value: s, after: " shows the expired claim." }),
  ]),
  "private-key": (m) => {
    const label = m.pick(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]);
    const count = m.random.int(4, 14);
    // 64-character base64 lines; the last one shorter.
    const lines = Array.from({ length: count }, (_, i) => (i === count - 1 ? m.base64(m.random.int(6, 40)) : m.base64(48)));
    const block = `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
    const w = m.pick<() => Written>([
      () => ({ form: "pem", before: "$ cat ~/.ssh/id_deploy\n", value: block.trimEnd(), after: "\n$ ls" }),
      // A service-account JSON pasted as text: the key's line breaks are `\n` escapes.
      () => ({ form: "json-escaped", before: '{"type": "service_account", "private_key": "', value: block.trimEnd().replace(/\n/g, "\\n"), after: '\\n", "client_id": "1234"}' }),
      // The same JSON inside a JSON string (a tool result of a tool that returned JSON text).
      () => ({ form: "json-escaped twice", before: '{"stdout": "{\\"private_key\\": \\"', value: block.trimEnd().replace(/\n/g, "\\\\n"), after: '\\\\n\\"}"}' }),
      () => ({ form: "heredoc", before: "cat > key.pem <<'EOF'\n", value: block.trimEnd(), after: "\nEOF\nchmod 600 key.pem" }),
      () => ({ form: "yaml block", before: "tls:\n  key: |\n    ", value: block.trimEnd().replace(/\n/g, "\n    "), after: "\n  cert: cert.pem" }),
    ])();
    return { ...plant("private-key", w), values: lines.filter((l) => l.length >= 8) };
  },
  password: (m) => plant("password", m.pick(PASSWORD_CONTEXTS)(m, m.password())),
  "bearer-token": kindMaker("bearer-token", (m) => m.token(`${ALNUM}._-`, m.random.int(24, 64)), [
    (_, s) => ({ form: "curl", before: "curl -s -H \"Authorization: Bearer ", value: s, after: "\" https://api.corp.io/v1/me" }),
    (_, s) => ({ form: "header dump", before: "> GET /v1/me HTTP/1.1\n> Authorization: Bearer ", value: s, after: "\n> Accept: */*" }),
    (_, s) => ({ form: "python", before: "headers = {'Authorization': 'Bearer ", value: s, after: "'}\n" }),
    (_, s) => ({ form: "json", before: '{"headers": {"Authorization": "Bearer ', value: s, after: '"}}' }),
  ]),
  "basic-auth": kindMaker("basic-auth", (m) => Buffer.from(`${m.person().first}:${m.password()}`).toString("base64"), [
    (_, s) => ({ form: "header dump", before: "> Authorization: Basic ", value: s, after: "\n> User-Agent: curl/8.4.0" }),
    (_, s) => ({ form: "curl", before: "curl -H 'Authorization: Basic ", value: s, after: "' https://nexus.corp.io/service/rest" }),
  ]),
  authorization: kindMaker("authorization", (m) => m.token(`${ALNUM}-_`, m.random.int(20, 48)), [
    (_, s) => ({ form: "token scheme", before: "Authorization: Token ", value: s, after: "\n" }),
    (_, s) => ({ form: "bot scheme", before: "-H 'Authorization: Bot ", value: s, after: "'" }),
    (_, s) => ({ form: "okta", before: '"Authorization": "SSWS ', value: s, after: '",' }),
    (m) => ({ form: "aws sigv4", before: "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=", value: m.token(HEX, 64), after: "\n" }),
    (m, s) => ({ form: "digest", before: `Authorization: Digest username="${m.person().first}", realm="corp", nonce="${m.chars(HEX, 32)}", uri="/", response="`, value: s, after: '"\n' }),
  ]),
  cookie: kindMaker("cookie", (m) => m.token(`${ALNUM}%-_`, m.random.int(16, 48)), [
    (_, s) => ({ form: "cookie header", before: "Cookie: theme=dark; sessionid=", value: s, after: "; lang=en" }),
    (_, s) => ({ form: "set-cookie", before: "Set-Cookie: SID=", value: s, after: "; Path=/; HttpOnly; Secure" }),
    (_, s) => ({ form: "curl --cookie", before: "curl --cookie 'connect.sid=", value: s, after: "' https://app.corp.io/" }),
    (_, s) => ({ form: "json", before: '{"Cookie": "csrftoken=', value: s, after: '"}' }),
  ]),
  "generic-secret": kindMaker("generic-secret", (m) => m.pick([() => m.token(ALNUM, m.random.int(24, 48)), () => m.token(HEX, m.pick([32, 40, 64])), () => m.base64(m.random.int(24, 48))])(), [
    (_, s) => ({ form: "env", before: "SESSION_SECRET=", value: s, after: "\n" }),
    (_, s) => ({ form: "json", before: '{"client_id": "web", "client_secret": "', value: s, after: '"}' }),
    (_, s) => ({ form: "python", before: "SECRET_KEY = '", value: s, after: "'\n" }),
    (_, s) => ({ form: "header", before: "X-Api-Key: ", value: s, after: "\n" }),
    (_, s) => ({ form: "cli flag", before: "deploy --api-key ", value: s, after: " --env prod" }),
    (_, s) => ({ form: "query", before: "GET /v2/items?limit=10&access_token=", value: s, after: " HTTP/1.1" }),
    (_, s) => ({ form: "yaml", before: "webhook:\n  signing_secret: ", value: s, after: "\n" }),
  ]),
  email: kindMaker("email", (m) => {
    const { first, last } = m.person();
    return `${first}${m.pick([".", "_", ""])}${last}${m.chars(DIGITS, m.random.int(0, 2))}@${m.pick(["gmail.com", "acme-corp.io", "mail.univ-lyon.fr", "company.co.uk", "outlook.com", "proton.me"])}`;
  }, [
    (_, s) => ({ form: "prose", before: "Please send the invoice to ", value: s, after: " before Friday." }),
    (m, s) => ({ form: "git log", before: `Author: ${m.person().first} <`, value: s, after: ">\nDate:   Mon Jan 6 10:12:00 2025 +0100" }),
    (_, s) => ({ form: "json", before: '{"owner": "', value: s, after: '", "plan": "pro"}' }),
    (_, s) => ({ form: "yaml", before: "maintainer: ", value: s, after: "\n" }),
  ]),
  "phone-number": kindMaker("phone-number", phone, [
    (_, s) => ({ form: "prose", before: "You can reach me at ", value: s, after: " after 5pm." }),
    (_, s) => ({ form: "json", before: '{"name": "Dana", "phone": "', value: s, after: '"}' }),
    (_, s) => ({ form: "field", before: "Phone: ", value: s, after: "\n" }),
    (_, s) => ({ form: "table", before: "| Dana Whitfield | ", value: s, after: " | active |" }),
  ]),
  "ip-address": kindMaker("ip-address", (m) => (m.random.next() < 0.7 ? publicIpv4(m) : publicIpv6(m)), [
    (_, s) => ({ form: "ssh", before: "Connecting to ", value: s, after: " port 22.\n" }),
    (_, s) => ({ form: "access log", before: "", value: s, after: ' - - [06/Jan/2025:10:12:00 +0000] "GET / HTTP/1.1" 200 612' }),
    (_, s) => ({ form: "json", before: '{"client_ip": "', value: s, after: '", "status": 403}' }),
    (_, s) => ({ form: "prose", before: "The login came from ", value: s, after: ", which is not ours." }),
  ]),
  "payment-card": kindMaker("payment-card", card, [
    (_, s) => ({ form: "prose", before: "Charge the card ", value: s, after: " exp 08/27." }),
    (_, s) => ({ form: "json", before: '{"card_number": "', value: s, after: '", "cvc": "***"}' }),
    (_, s) => ({ form: "field", before: "Card: ", value: s, after: "\n" }),
  ]),
  iban: kindMaker("iban", ibanNumber, [
    (_, s) => ({ form: "prose", before: "Wire it to ", value: s, after: " (BIC in the invoice)." }),
    (_, s) => ({ form: "json", before: '{"iban": "', value: s, after: '"}' }),
    (_, s) => ({ form: "field", before: "IBAN: ", value: s, after: "\n" }),
  ]),
  "home-user": kindMaker("home-user", homeName, [
    (_, s) => ({ form: "unix path", before: "  File \"/home/", value: s, after: "/src/etl/run.py\", line 41" }),
    (_, s) => ({ form: "mac path", before: "cd /Users/", value: s, after: "/Projects/app && npm test" }),
    (_, s) => ({ form: "windows path", before: "C:\\Users\\", value: s, after: "\\AppData\\Local\\Temp\\build.log" }),
  ]),
};
