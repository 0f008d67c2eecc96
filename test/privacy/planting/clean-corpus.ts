// Text that holds no secrets, for the false-positive rate: code, lockfiles, git logs, base64 images,
// hashes and ids, and real agent logs. Built from this repository, its installed packages, the shared
// samples and (when given) the git directories of other repositories.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { deflateSync } from "node:zlib";
import { importTrajectories } from "../../../src/import/run.js";
import { Random } from "../../../src/random.js";
import { CorpusBuilder } from "../corpus.js";

export interface CleanText {
  /** The kind of text: code, lockfile, git log, base64 image, ids and hashes, agent log. */
  kind: string;
  /** Where it came from (a path, a repository). */
  source: string;
  text: string;
}

const REPO = join(import.meta.dirname, "../../..");

function walk(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      const info = statSync(path);
      if (info.isDirectory()) return walk(path, keep);
      return info.size < 4_000_000 && keep(path) ? [path] : [];
    });
}

const read = (kind: string, path: string): CleanText => ({ kind, source: relative(REPO, path), text: readFileSync(path, "utf8") });

/** Paths of this repository that hold secret shapes on purpose: the privacy module, its page, and the tests (fake keys are their fixtures). */
const ON_PURPOSE = [":(exclude)src/privacy", ":(exclude)test", ":(exclude)docs/privacy.md", ":(exclude)bench/privacy.ts"];

/** This repository's code, docs and scripts, but the privacy module and its page and the tests, which show secret shapes on purpose. */
export function repositoryCode(): CleanText[] {
  // bench/.data holds what benchmarks generate (bench:import copies the real logs there): not the repository's code
  const mine = (path: string) =>
    /\.(?:ts|mjs|js|md|json|sh)$/.test(path) && !/[/\\]privacy[/\\.]|privacy\.md$|package-lock\.json$|^bench[/\\]\.data[/\\]/.test(relative(REPO, path));
  return ["src", "docs", "bench", "scripts", "examples"].flatMap((dir) => walk(join(REPO, dir), mine)).map((path) => read("code", path));
}

/** Sources and docs of the installed packages, in path order, up to `maxBytes`. */
export function packageCode(maxBytes: number): CleanText[] {
  const out: CleanText[] = [];
  let bytes = 0;
  for (const path of walk(join(REPO, "node_modules"), (p) => /\.(?:js|cjs|mjs|ts|md)$/.test(p) && !p.endsWith(".min.js"))) {
    if (bytes >= maxBytes) break;
    const text = read("code", path);
    bytes += Buffer.byteLength(text.text);
    out.push(text);
  }
  return out;
}

/** package-lock.json, the lockfiles inside node_modules, and those of the given git directories. */
export function lockfiles(gitDirs: readonly string[] = []): CleanText[] {
  const local = [join(REPO, "package-lock.json"), ...walk(join(REPO, "node_modules"), (p) => /(?:yarn\.lock|package-lock\.json|pnpm-lock\.yaml)$/.test(p))].map((p) => read("lockfile", p));
  const fetched = gitDirs.flatMap((gitDir) => {
    const names = execFileSync("git", ["--git-dir", gitDir, "ls-tree", "-r", "--name-only", "HEAD"], { encoding: "utf8", maxBuffer: 64 << 20 }).split("\n");
    return names
      .filter((n) => /(?:^|\/)(?:package-lock\.json|yarn\.lock|Cargo\.lock|poetry\.lock|go\.sum|Gemfile\.lock|composer\.lock|pnpm-lock\.yaml)$/.test(n))
      .map((n) => ({ kind: "lockfile", source: `${gitDir}:${n}`, text: execFileSync("git", ["--git-dir", gitDir, "show", `HEAD:${n}`], { encoding: "utf8", maxBuffer: 64 << 20 }) }));
  });
  return [...local, ...fetched];
}

/** `git log -p` (messages, authors and patches) of this repository and the given git directories, up to `maxBytes` each. */
export function gitLogs(gitDirs: readonly string[], maxBytes: number): CleanText[] {
  const dirs = [REPO, ...gitDirs].filter((d) => existsSync(d));
  return dirs.flatMap((gitDir) => {
    let log: string;
    try {
      const own = gitDir === REPO;
      const args = [...(own ? ["-C", REPO] : ["--git-dir", gitDir]), "log", "-p", "--no-color", "-n", "3000", "HEAD", ...(own ? ["--", ".", ...ON_PURPOSE] : [])];
      log = execFileSync("git", args, { encoding: "utf8", maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      return [];
    }
    const text = log.slice(0, maxBytes);
    return [{ kind: "git log", source: gitDir === REPO ? "this repository" : gitDir, text: text.slice(0, text.lastIndexOf("\n")) }];
  });
}

function png(random: Random, width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  // Gradients with noise: compressible like a real image, not like a solid block.
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width * 3; x++) rows[y * (width * 3 + 1) + 1 + x] = (x * 7 + y * 3 + random.int(0, 24)) & 255;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

/** Data URLs of PNG images, as in HTML, CSS, notebooks and screenshot tool results. */
export function base64Images(seed: number, count: number): CleanText[] {
  const random = new Random(seed, "clean-images");
  const lines = Array.from({ length: count }, () => {
    const data = png(random, random.int(8, 64), random.int(8, 64)).toString("base64");
    return random.pick([
      `<img alt="chart" src="data:image/png;base64,${data}">`,
      `  background-image: url("data:image/png;base64,${data}");`,
      `{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "${data}"}}`,
      `"image/png": "${data}",`,
    ]);
  });
  return [{ kind: "base64 image", source: "generated PNGs", text: lines.join("\n") }];
}

/** Hashes, digests, uuids, git shas, integrity strings, ARNs, request ids and pagination cursors in the lines that carry them. */
export function identifiers(seed: number, lines: number): CleanText[] {
  const random = new Random(seed, "clean-identifiers");
  const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[random.int(0, alphabet.length - 1)]).join("");
  const hex = (n: number) => chars("0123456789abcdef", n);
  const b64 = (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => random.int(0, 255))).toString("base64");
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${random.pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}`;
  const makers: (() => string)[] = [
    () => `commit ${hex(40)}`,
    () => `${hex(7)}..${hex(7)}  main -> origin/main`,
    () => `    "integrity": "sha512-${b64(64)}",`,
    () => `sha256:${hex(64)}`,
    () => `${hex(64)}  dist/pkg-${random.int(1, 9)}.${random.int(0, 20)}.${random.int(0, 9)}.tar.gz`,
    () => `md5sum: ${hex(32)}`,
    () => `request_id=${uuid()} trace_id=${hex(32)} span_id=${hex(16)}`,
    () => `{"id": "${uuid()}", "created_at": "2025-0${random.int(1, 9)}-1${random.int(0, 9)}T10:${random.int(10, 59)}:00Z"}`,
    () => `"NextToken": "${b64(random.int(48, 160))}"`,
    () => `"nextPageToken": "${chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", random.int(40, 120))}",`,
    () => `"cursor": "${b64(24)}", "has_more": true`,
    () => `ETag: "${hex(32)}"`,
    () => `arn:aws:iam::${chars("0123456789", 12)}:role/service-role/${chars("abcdefghij", 8)}`,
    () => `docker.io/library/node@sha256:${hex(64)}`,
    () => `"resolved": "https://registry.npmjs.org/pkg-${hex(4)}/-/pkg-${random.int(0, 9)}.${random.int(0, 30)}.${random.int(0, 9)}.tgz"`,
    () => `session ${uuid()} resumed`,
    () => `x-amz-request-id: ${chars("ABCDEF0123456789", 16)}`,
    () => `{"sessionId":"${uuid()}","parentUuid":"${uuid()}","requestId":"req_${chars("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789", 24)}"}`,
    () => `"idempotency_key": "${uuid()}"`,
    () => `"tool_use_id": "toolu_${chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24)}"`,
    () => `    at Object.<anonymous> (/app/node_modules/pkg/index.js:${random.int(1, 999)}:${random.int(1, 80)})`,
    () => `Version ${random.int(0, 9)}.${random.int(0, 20)}.${random.int(0, 99)}.${random.int(0, 999)} (build ${hex(7)})`,
    () => `| ${random.int(100, 999)} | ${random.int(1000, 9999)} | ${random.int(10, 99)}.${random.int(0, 99)} | ${random.int(1000000, 9999999)} |`,
    () => `1${chars("0123456789", 18)} ${random.int(1_600_000_000, 1_800_000_000)} ${random.int(10_000_000, 99_999_999)}`,
  ];
  return [{ kind: "ids and hashes", source: "generated", text: Array.from({ length: lines }, () => random.pick(makers)()).join("\n") }];
}

/** Every string of every trajectory imported (without redaction) from the shared samples. */
export async function agentLogs(samplesDir: string): Promise<CleanText[]> {
  const out: CleanText[] = [];
  const strings = (value: unknown, source: string) => {
    if (typeof value === "string") {
      if (value.length > 0) out.push({ kind: "agent log", source, text: value });
    } else if (value !== null && typeof value === "object") {
      for (const item of Object.values(value)) strings(item, source);
    }
  };
  for await (const event of importTrajectories([samplesDir])) {
    if (event.type === "trajectory") strings({ ...event.trajectory, source: undefined }, relative(samplesDir, event.trajectory.source.file));
  }
  return out;
}

/** Generated lines that look like secrets to a careless detector but are not. */
export function lookAlikes(seed: number, lines: number): CleanText[] {
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
  return [{ kind: "look-alikes", source: "generated", text: Array.from({ length: lines }, () => b.random.pick(makers)()).join("\n") }];
}
