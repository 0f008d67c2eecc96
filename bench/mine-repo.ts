// Builds a repository with PR-shaped history for bench:mine through one `git fast-import` stream:
// merge-commit PRs (1-4 branch commits), squash PRs "(#N)", rebase-merged PRs with a Pull-Request trailer,
// direct pushes, dependabot PRs, "Fixes #N" / "follow-up to #N" / revert references, and an occasional
// mass quote-reformat commit. Deterministic for a given seed.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { Random } from "../src/random.js";

const MODULES = 24;
const FILES_PER_MODULE = 6;
const LINES_PER_FILE = 60;
const START = Date.UTC(2020, 0, 1) / 1000;

interface Person {
  name: string;
  email: string;
}

const PEOPLE: Person[] = ["ada", "brian", "chen", "dana", "eve", "farid", "grace", "hiro"].map((n) => ({ name: n, email: `${n}@example.com` }));
const BOT: Person = { name: "dependabot[bot]", email: "49699333+dependabot[bot]@users.noreply.github.com" };

class Stream {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly sink: NodeJS.WritableStream) {}
  async write(text: string | Buffer): Promise<void> {
    const buffer = typeof text === "string" ? Buffer.from(text) : text;
    this.parts.push(buffer);
    this.size += buffer.length;
    if (this.size > 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    if (!this.sink.write(chunk)) await once(this.sink, "drain");
  }
}

/** Creates a bare repository at `dir` with at least `minCommits` commits on main; returns the commit count. */
export async function buildBenchRepo(dir: string, minCommits: number, seed = 1): Promise<number> {
  mkdirSync(dir, { recursive: true });
  spawnSync("git", ["init", "-q", "--bare", "-b", "main", dir], { stdio: "inherit" });
  const child = spawn("git", ["-C", dir, "fast-import", "--quiet", "--done"], { stdio: ["pipe", "inherit", "inherit"] });
  const out = new Stream(child.stdin);
  const random = new Random(seed, "bench:mine repo");
  const files = new Map<string, string[]>();
  for (let m = 0; m < MODULES; m++) {
    for (let f = 0; f < FILES_PER_MODULE; f++) {
      const lines = Array.from({ length: LINES_PER_FILE }, (_, i) => `export const m${m}f${f}l${i} = 'value ${m}-${f}-${i}';`);
      files.set(`src/mod${m}/file${f}.ts`, lines);
      files.set(`test/mod${m}/file${f}.test.ts`, [`import { m${m}f${f}l0 } from '../../src/mod${m}/file${f}';`, "test('x', () => {});"]);
    }
  }
  let mark = 0;
  let commits = 0;
  let time = START;
  let number = 0;
  let mainTip = 0;
  const merged: { number: number; title: string }[] = [];

  const commit = async (ref: string, who: Person, message: string, parents: number[], changed: Iterable<string>) => {
    mark++;
    commits++;
    time += 3600;
    const body = Buffer.from(message);
    await out.write(`commit ${ref}\nmark :${mark}\nauthor ${who.name} <${who.email}> ${time} +0000\ncommitter ${who.name} <${who.email}> ${time} +0000\ndata ${body.length}\n`);
    await out.write(body);
    await out.write("\n");
    if (parents[0] !== undefined) await out.write(`from :${parents[0]}\n`);
    for (const parent of parents.slice(1)) await out.write(`merge :${parent}\n`);
    for (const path of changed) {
      const content = Buffer.from(`${files.get(path)!.join("\n")}\n`);
      await out.write(`M 100644 inline ${path}\ndata ${content.length}\n`);
      await out.write(content);
      await out.write("\n");
    }
    await out.write("\n");
    return mark;
  };

  /** Edits 1-2 files of one module (and sometimes its test); returns the changed paths. */
  const edit = (): string[] => {
    const module = random.int(0, MODULES - 1);
    const changed: string[] = [];
    for (let k = random.int(1, 2); k > 0; k--) {
      const path = `src/mod${module}/file${random.int(0, FILES_PER_MODULE - 1)}.ts`;
      const lines = files.get(path)!;
      const at = random.int(0, lines.length - 1);
      const roll = random.next();
      if (roll < 0.6) for (let i = at; i < Math.min(lines.length, at + random.int(1, 4)); i++) lines[i] = `export const c${mark}_${i} = 'changed ${number}';`;
      else if (roll < 0.85 || lines.length < 30) lines.splice(at, 0, `export const n${mark} = 'added ${number}';`);
      else lines.splice(at, 1);
      changed.push(path);
    }
    if (random.next() < 0.3) {
      const test = `test/mod${module}/file${random.int(0, FILES_PER_MODULE - 1)}.test.ts`;
      files.get(test)!.push(`test('case ${mark}', () => {});`);
      changed.push(test);
    }
    return [...new Set(changed)];
  };

  const reference = (): string => {
    const roll = random.next();
    if (roll < 0.3) return `\n\nFixes #${++number}`;
    if (roll < 0.35 && merged.length > 0) return `\n\nFollow-up to #${random.pick(merged.slice(-20)).number}`;
    return "";
  };

  mainTip = await commit("refs/heads/main", PEOPLE[0]!, "Initial import", [], files.keys());
  while (commits < minCommits) {
    const who = random.pick(PEOPLE);
    const pr = ++number;
    const title = `Change module code ${pr}`;
    const roll = random.next();
    if (roll < 0.4) {
      let tip = mainTip;
      const changed = new Set<string>();
      for (let k = random.int(1, 4); k > 0; k--) {
        const paths = edit();
        paths.forEach((p) => changed.add(p));
        tip = await commit("refs/heads/topic", who, `Step ${k} of ${title}`, [tip], paths);
      }
      mainTip = await commit("refs/heads/main", PEOPLE[1]!, `Merge pull request #${pr} from ${who.name}/topic-${pr}\n\n${title}${reference()}`, [mainTip, tip], changed);
    } else if (roll < 0.75) {
      mainTip = await commit("refs/heads/main", who, `${title} (#${pr})${reference()}`, [mainTip], edit());
    } else if (roll < 0.88) {
      for (let k = random.int(2, 3); k > 0; k--) {
        mainTip = await commit("refs/heads/main", who, `Part ${k} of ${title}\n\nPull-Request: #${pr}`, [mainTip], edit());
      }
    } else if (roll < 0.93 && merged.length > 0) {
      const target = random.pick(merged.slice(-30));
      mainTip = await commit("refs/heads/main", who, `Revert "${target.title}" (#${pr})\n\nReverts bench/repo#${target.number}`, [mainTip], edit());
    } else if (roll < 0.96) {
      mainTip = await commit("refs/heads/main", BOT, `Bump lodash from 4.17.${pr % 20} to 4.17.${(pr % 20) + 1} (#${pr})`, [mainTip], edit());
    } else if (roll < 0.998) {
      mainTip = await commit("refs/heads/main", who, `Tidy ${title}`, [mainTip], edit());
    } else {
      const changed: string[] = [];
      for (const [path, lines] of files) {
        if (!path.startsWith("src/") || random.next() < 0.5) continue;
        for (let i = 0; i < lines.length; i++) lines[i] = lines[i]!.replaceAll("'", '"');
        changed.push(path);
      }
      mainTip = await commit("refs/heads/main", PEOPLE[2]!, "Format everything", [mainTip], changed);
    }
    merged.push({ number: pr, title });
  }
  await out.write("done\n");
  await out.flush();
  child.stdin.end();
  const [code] = (await once(child, "close")) as [number];
  if (code !== 0) throw new Error(`git fast-import failed with exit ${code}`);
  spawnSync("git", ["-C", dir, "update-ref", "-d", "refs/heads/topic"], { stdio: "inherit" });
  return commits;
}
