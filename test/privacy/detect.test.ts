import assert from "node:assert/strict";
import { test } from "node:test";
import { Redactor } from "../../src/privacy/redactor.js";
import { findSecrets, redactText } from "../../src/privacy/scan.js";
import type { SecretType } from "../../src/privacy/types.js";
import { buildCorpus } from "./corpus.js";

test("recall: of 500+ secrets of 20+ types planted in shell output, config files, diffs and JSON, at least 99% are gone and typed right", (t) => {
  const corpus = buildCorpus(7, 196);
  const planted = corpus.flatMap((d) => d.planted);
  const types = new Set(planted.map((p) => p.type));
  assert.ok(planted.length >= 500, `${planted.length} planted`);
  assert.ok(types.size >= 15, `${types.size} types`);

  let gone = 0;
  let typed = 0;
  const missed: string[] = [];
  for (const doc of corpus) {
    const spans = findSecrets(doc.text);
    const redacted = redactText(doc.text);
    const found = new Map<SecretType, number>();
    for (const s of spans) found.set(s.type, (found.get(s.type) ?? 0) + 1);
    const expected = new Map<SecretType, number>();
    for (const p of doc.planted) expected.set(p.type, (expected.get(p.type) ?? 0) + 1);
    for (const p of doc.planted) {
      if (redacted.includes(p.value)) missed.push(`${doc.kind} ${p.type}: ${p.value}`);
      else gone++;
      if ((found.get(p.type) ?? 0) >= expected.get(p.type)!) typed++;
    }
  }
  const recall = gone / planted.length;
  t.diagnostic(`${planted.length} planted, ${types.size} types, recall ${recall.toFixed(4)}, typed right ${(typed / planted.length).toFixed(4)}`);
  assert.ok(recall >= 0.99, `recall ${recall.toFixed(4)}; missed:\n${missed.slice(0, 20).join("\n")}`);
  assert.ok(typed / planted.length >= 0.99, `typed right ${(typed / planted.length).toFixed(4)}`);
});

test("structure: redacted JSON outputs still parse, to the same value as redacting the parsed value", () => {
  const jsonDocs = buildCorpus(11, 196).filter((d) => d.json);
  assert.ok(jsonDocs.length >= 30);
  for (const doc of jsonDocs) {
    const redacted = redactText(doc.text);
    const structured = new Redactor("on").value(JSON.parse(doc.text));
    assert.deepEqual(JSON.parse(redacted), structured, doc.kind);
    assert.ok(!/<SECRET:[^>]*["\\]/.test(redacted));
  }
});

test("each type: a typical occurrence is found, with the placeholder where the secret was", () => {
  const cases: [string, string][] = [
    ["aws-access-key", "id=AKIA2OGYBAH6QWERTY7Z"],
    ["aws-secret-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY9dK3nLq2Vb"],
    ["github-token", "token ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"],
    ["gitlab-token", "glpat-Ab3dEf6hIj9kLm2nOp5q"],
    ["openai-key", "OPENAI_API_KEY=sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0Ed9Cb8Aa7Zz6Yy5Xx4"],
    ["anthropic-key", `key: sk-ant-api03-${"aB3".repeat(31)}AA`],
    ["huggingface-token", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz12345678"],
    ["slack-token", "xoxb-12345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
    ["slack-webhook", "https://hooks.slack.com/services/T01ABCDEF/B02GHIJKLM/AbCdEfGhIjKlMnOpQrStUvWx"],
    ["stripe-key", "sk_live_51HxYz0AbCdEfGhIjKlMnOpQr"],
    ["google-api-key", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"],
    ["npm-token", "//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"],
    ["pypi-token", `pypi-AgEIcHlwaS5vcmc${"Ab1-".repeat(16)}`],
    ["twilio-key", "SK0123456789abcdef0123456789abcdef"],
    ["sendgrid-key", `SG.${"a1B2c3D4e5F6g7H8i9J0k1"}.${"L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e1F2g"}`],
    ["azure-storage-key", `AccountName=x;AccountKey=${"Ab1+".repeat(21)}ab==;EndpointSuffix=core.windows.net`],
    ["azure-sas", "https://a.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig=Ab1%2Bcd2%2Fef3gh4ij5kl6mn7op8qr9st0uv%3D"],
    ["private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----"],
    ["jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
    ["password", "mysql://root:Tr0ub4dor3x@10.0.0.5:3306/app"],
    ["bearer-token", "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0zz"],
    ["basic-auth", `Authorization: Basic ${Buffer.from("alice:hunter22").toString("base64")}`],
    ["generic-secret", 'client_secret = "q8Zr2vLx0pT4kW9mN3bY7cH1"'],
    ["email", "Reported by jane.roe+ci@contoso-mail.com today"],
    ["home-user", "open /Users/jroe/Desktop/notes.txt"],
  ];
  for (const [type, text] of cases) {
    const spans = findSecrets(text);
    assert.deepEqual(
      spans.map((s) => s.type),
      [type],
      `${type}: ${text}`,
    );
    assert.ok(redactText(text).includes(`<SECRET:${type}>`), type);
  }
});

test("structure is kept: home paths keep their folders, URLs their user and host, quotes and escapes stay balanced", () => {
  assert.equal(redactText("/home/jroe/src and C:\\Users\\Jane Roe\\Documents"), "/home/<SECRET:home-user>/src and C:\\Users\\<SECRET:home-user>\\Documents");
  assert.equal(redactText("postgres://app:S3cret-99@db:5432/x"), "postgres://app:<SECRET:password>@db:5432/x");
  // Inside raw JSON, the escape before a secret stays whole.
  const raw = JSON.stringify({ log: "ok\njane.roe@contoso-mail.com\n/home/jroe\ntoken=q8Zr2vLx0pT4kW9mN3bY7cH1" });
  const redacted = redactText(raw);
  assert.deepEqual(JSON.parse(redacted), { log: "ok\n<SECRET:email>\n/home/<SECRET:home-user>\ntoken=<SECRET:generic-secret>" });
});

test("passwords in URLs and connection strings: brackets the value opened are its own, the link's closing bracket is not; a local database's password is redacted", () => {
  assert.equal(redactText("jdbc:mysql://db:3306/x?user=bob&password=hunt(er)2&ssl=true"), "jdbc:mysql://db:3306/x?user=bob&password=<SECRET:password>&ssl=true");
  assert.equal(redactText("jdbc:sqlserver://h;user=sa;password=Ab(c)d[1];"), "jdbc:sqlserver://h;user=sa;password=<SECRET:password>;");
  assert.equal(redactText("[docs](https://h.io/x?token=a8f7d6s5a4d3f2g1h0j9) now"), "[docs](https://h.io/x?token=<SECRET:generic-secret>) now");
  assert.equal(redactText("DATABASE_URL=postgres://app:S3cr3t!x@localhost:5432/db"), "DATABASE_URL=postgres://app:<SECRET:password>@localhost:5432/db");
});

test("a key block cut off before its footer loses its lines, not the text after it, and never runs into the next JSON string", () => {
  const head = "$ head -4 key.pem\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nMIIEpAIBAAKCAQEA1b2c3d4e5f6g7h8\n$ ls\ntotal 16";
  assert.equal(redactText(head), "$ head -4 key.pem\n<SECRET:private-key>\n$ ls\ntotal 16");
  const block = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAb==\n-----END PRIVATE KEY-----";
  const raw = JSON.stringify([block.slice(0, 60), `key=${block}`]);
  assert.deepEqual(JSON.parse(redactText(raw)), ["<SECRET:private-key>", "key=<SECRET:private-key>"]);
});

test("not secrets: placeholders, references, identifiers, hashes, versions and example values are left alone", () => {
  const clean = [
    "API_KEY=${API_KEY}",
    "password: string;",
    "token = getToken(session)",
    'secret_name = "prod/db/credentials"',
    "credentials: corsAttributeState === 'anonymous'",
    "const tokenizer = 'o200k_base'; max_tokens = 4096",
    "Authorization: Bearer <your-token>",
    "postgres://user:password@localhost/db",
    "git@github.com:acme/api.git",
    "lodash@4.17.21 and icon@2x.png and @types/node and user@example.com",
    "AKIAIOSFODNN7EXAMPLE",
    "https://example.com/home/about",
    "GET /users/123",
    "/Users/Shared/tmp and /home/user/project",
    "commit 3f2a1c4b5d6e7f8091a2b3c4d5e6f708192a3b4c",
    '"integrity": "sha512-nG0rS4ZcK3uFhJ7Jb1w5mHc2dQx9p8yT6vL4kR3eW1aB0cD9fE8gH7iJ6kL5mN4oP3qR2sT1uV0wX9yZ8aB7cD=="',
    "<SECRET:aws-access-key> already redacted",
  ];
  for (const text of clean) assert.deepEqual(findSecrets(text), [], text);
});

test("idempotent: redacting redacted text changes nothing, and its placeholders are counted again", () => {
  const text = "AWS_ACCESS_KEY_ID=AKIA2OGYBAH6QWERTY7Z mail jane@contoso-mail.com";
  const once = redactText(text);
  assert.equal(redactText(once), once);
  const first = new Redactor("on");
  first.text(text);
  const second = new Redactor("on");
  second.text(once);
  assert.deepEqual(second.counts, first.counts);
  assert.deepEqual(first.counts, { "aws-access-key": 1, email: 1 });
});

test("report mode counts without changing anything", () => {
  const redactor = new Redactor("report");
  const text = "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R and /home/jroe";
  assert.equal(redactor.text(text), text);
  assert.deepEqual(redactor.counts, { "github-token": 1, "home-user": 1 });
});

test("phone numbers: repeated digits inside a real number do not make it fictional; one digit throughout and 555-01xx do", () => {
  assert.equal(redactText("You can reach me at (238) 888-8887 after 5pm."), "You can reach me at <SECRET:phone-number> after 5pm.");
  for (const text of ["call 555-5555 now", "Phone: (415) 555-0142", "Phone: +1 212 999 9999"]) assert.deepEqual(findSecrets(text), [], text);
});

test("passwords the planted-secret generator found left: an escaped backslash before r in a quoted value, a name-like value after mysql -p, a mixed-case x run in a token, .netrc values that read as code, a value opening with <name>", () => {
  assert.equal(redactText('    password: "a`s)1m--\\"YG@od\\\\ru"\n'), '    password: "<SECRET:password>"\n');
  assert.equal(redactText("mysql -u root -pNayQSVKz -h 127.0.0.1 shop"), "mysql -u root -p<SECRET:password> -h 127.0.0.1 shop");
  assert.equal(redactText('"Authorization": "SSWS t4bpkHtiS8jxxXXb0DjeZp",'), '"Authorization": "SSWS <SECRET:authorization>",');
  assert.equal(redactText("machine api.corp.io login deploy password CtzO[9NIZrDkQ[}O\n"), "machine api.corp.io login deploy password <SECRET:password>\n");
  assert.equal(redactText("conn = connect(host='db', password=\"<WNM>Q|G|Z'\")"), "conn = connect(host='db', password=\"<SECRET:password>\")");
  assert.equal(redactText("You can reach me at +44 20 0650 0999 after 5pm."), "You can reach me at <SECRET:phone-number> after 5pm.");
  // jdbc:sqlserver properties are not a URL's user information: only the password goes.
  assert.equal(
    redactText("jdbc:sqlserver://sql13.corp:1433;databaseName=orders;user=sa;password={OK60fuX_wqrg@O)^>J;y};encrypt=true"),
    "jdbc:sqlserver://sql13.corp:1433;databaseName=orders;user=sa;password={<SECRET:password>};encrypt=true",
  );
});
