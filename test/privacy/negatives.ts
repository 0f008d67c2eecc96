// Text without secrets, for the false-positive rate: real code, docs and tool outputs, and generated
// look-alikes that are not secrets (uuids, git shas, lockfile hashes, base64 images, …).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { importTrajectories } from "../../src/import/run.js";
import { CorpusBuilder } from "./corpus.js";

const REPO = join(import.meta.dirname, "../..");

function files(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === "node_modules" ? [] : files(path, extensions);
      return extensions.some((e) => name.endsWith(e)) ? [path] : [];
    });
}

/**
 * This repository's own code and docs (minus the privacy module and its page, which show secret
 * shapes on purpose) and the sources of a few installed packages (an HTTP client full of auth code,
 * a CLI parser, a Parquet reader, a template engine).
 */
export function realTexts(): { name: string; text: string }[] {
  const paths = [
    ...files(join(REPO, "src"), [".ts"]).filter((p) => !p.includes(`${join("src", "privacy")}`)),
    ...files(join(REPO, "docs"), [".md"]).filter((p) => !p.endsWith("privacy.md")),
    ...files(join(REPO, "node_modules/commander"), [".js"]),
    ...files(join(REPO, "node_modules/hyparquet/src"), [".js"]),
    ...files(join(REPO, "node_modules/undici/lib"), [".js"]),
    ...files(join(REPO, "node_modules/@huggingface/jinja/dist"), [".js"]),
  ];
  return paths.map((path) => ({ name: path.slice(REPO.length + 1), text: readFileSync(path, "utf8") }));
}

/** Every tool result of the shared samples, imported without redaction. */
export async function sampleToolOutputs(samplesDir: string): Promise<{ name: string; text: string }[]> {
  const texts: { name: string; text: string }[] = [];
  for await (const event of importTrajectories([samplesDir])) {
    if (event.type !== "trajectory") continue;
    for (const m of event.trajectory.messages) if (m.role === "tool") texts.push({ name: event.trajectory.source.file, text: m.content });
  }
  return texts;
}

/**
 * Lines with personal data that is really there (authors' e-mails in licence headers, the Codex
 * sample's unredacted home folder) or with passwords a tool really returned (the ShareGPT sample's
 * password generator), found by plain patterns independent of the detectors. They are true positives,
 * so they are left out of the false-positive count.
 */
export const REAL_FINDING = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|\/(?:home|Users)\/[A-Za-z0-9_.-]+|[A-Za-z]:\\+Users\\+|"password": "[^"]+"/;

/** Generated lines that look like secrets to a careless detector but are not. */
export function lookAlikes(seed: number, lines: number): string {
  const b = new CorpusBuilder(seed);
  const hex = (n: number) => b.chars("0123456789abcdef", n);
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${b.random.pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
  const word = () => b.random.pick(["parse", "render", "token", "stream", "buffer", "request", "session", "cache", "index", "query", "secret", "password", "key"]);
  const camel = () => Array.from({ length: b.random.int(3, 6) }, (_, i) => (i === 0 ? word() : word().replace(/^./, (c) => c.toUpperCase()))).join("");
  const makers: (() => string)[] = [
    () => `${hex(7)} ${b.random.pick(["Fix", "Add", "Refactor", "Bump"])} ${word()} handling in ${camel()}`,
    () => `commit ${hex(40)}`,
    () => `Merge: ${hex(7)} ${hex(7)}`,
    () => `request_id=${uuid()} status=200 duration_ms=${b.random.int(1, 900)}`,
    () => `    "id": "${uuid()}",`,
    () => `      "integrity": "sha512-${b.base64(64)}",`,
    () => `      "resolved": "https://registry.npmjs.org/${word()}/-/${word()}-${b.random.int(0, 9)}.${b.random.int(0, 30)}.${b.random.int(0, 9)}.tgz",`,
    () => `${hex(64)}  dist/${word()}-${b.random.int(1, 9)}.${b.random.int(0, 9)}.tar.gz`,
    () => `Digest: sha256:${hex(64)}`,
    () => `  "image": "data:image/png;base64,${b.base64(b.random.int(200, 600))}"`,
    () => `md5: ${hex(32)}  etag: "${hex(32)}"`,
    () => `arn:aws:iam::${b.chars("0123456789", 12)}:role/${camel()}`,
    () => `+ ${word()}@${b.random.int(0, 9)}.${b.random.int(0, 30)}.${b.random.int(0, 9)}`,
    () => `<img src="assets/${word()}@2x.png" srcset="assets/${word()}@3x.png 3x">`,
    () => `    @property\n    def ${word()}_${word()}(self):`,
    () => `const ${camel()} = ${camel()}(${word()}, { ${word()}: ${b.random.int(0, 99)} });`,
    () => `max_tokens = ${b.random.int(256, 32768)}`,
    () => `tokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen3-${b.random.pick(["8B", "32B", "0.6B"])}")`,
    () => `password = getpass.getpass("Password: ")`,
    () => `API_KEY = os.environ["${word().toUpperCase()}_API_KEY"]`,
    () => `          token: \${{ secrets.GITHUB_TOKEN }}`,
    () => `curl -H "Authorization: Bearer $API_TOKEN" https://api.example.com/v1/${word()}`,
    () => `DATABASE_URL=postgres://user:password@localhost:5432/${word()}`,
    () => `git clone git@github.com:${word()}/${word()}.git`,
    () => `GET https://example.com/home/${word()}/index.html 200`,
    () => `secret_name = "prod/${word()}/credentials"`,
    () => `if (options.${camel()} && ${camel()}.${word()}Key === undefined) return;`,
    () => `export const ${word().toUpperCase()}_KEY_PREFIX = "${word()}:";`,
    () => `Saved to /tmp/${word()}-${hex(8)}/${word()}.json (${b.random.int(1, 999)} KB)`,
    () => `  ${word()}-${word()}  ${b.random.int(1, 99)}.${b.random.int(0, 9)}%  ${hex(12)}`,
    () => `sk-output-waiting-${b.chars("0123456789", 13)} { display: none; }`,
    () => `const sessionKey = \`session:\${${word()}Id}\`;`,
    () => `AKIAIOSFODNN7EXAMPLE is the example key id in the AWS documentation`,
    () => `SECRET_KEY = env("DJANGO_SECRET_KEY")`,
    () => `"access_token_ttl": ${b.random.int(60, 86400)},`,
  ];
  return Array.from({ length: lines }, () => b.random.pick(makers)()).join("\n");
}
