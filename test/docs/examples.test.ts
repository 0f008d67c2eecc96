import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, suite, test } from "node:test";
import type { Sample } from "../../src/records/sample.js";
import { type OpenAIServer, startOpenAIServer } from "../../src/testing/openai-server.js";
import { builtPackage } from "../helpers/built-cli.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { type Example, helpExamples, markdownFiles, shellExamples } from "../helpers/doc-examples.js";
import { adjustWorkspace, buildWorld, oracle, readSamples, type World } from "../helpers/doc-world.js";
import { type ShellRun, sh } from "../helpers/shell.js";
import { REDIS_MISSING, type RedisServer, startRedis } from "../helpers/redis.js";

// Every shell example of README.md, docs/**/*.md and every command's --help runs here, as written, in
// a real shell (pipes, globs, ~ and redirections included) against the built CLI, the bundled examples
// and the in-process test server. Each doc runs in its own copy of the world (doc-world.ts), its
// examples in order, so a doc may use what its earlier examples wrote. An example passes when it
// exits as expected (0 unless listed below), prints no stack trace, and leaves the `-o` output it names.

const ROOT = join(import.meta.dirname, "../..");

/** Examples that are not run, by their exact text, with why. The test fails when one no longer exists. */
const NOT_RUN = new Map<string, string>([["npx tsx examples/loop/run.ts out/loop", "test/examples/loop.test.ts runs it from the checkout, as the docs say, and checks every stage"]]);

/**
 * --help examples that do what a docs example does, with other file names only (the doc world holds the same
 * content under both): each runs once, as the docs example (the key → the docs example). The test fails when
 * either is gone, so a changed example runs again.
 */
const SAME_AS_DOCS = new Map<string, string>([
  // the same trajectories (acc import examples/logs) exported to each format
  ["acc export out/import/trajectories.jsonl --to atif -o out/atif", "acc export out/export-demo/trajectories.jsonl --to atif -o out/export-demo/atif --overwrite"],
  ["acc export out/import/trajectories.jsonl --to trl -o out/sft", "acc export out/sft-demo/trajectories.jsonl --to trl -o out/sft-demo/trl --overwrite"],
  ["acc export out/import/trajectories.jsonl --to llamafactory -o out/lf-sft", "acc export out/lf-demo/trajectories.jsonl --to llamafactory -o out/lf-demo/lf --overwrite"],
  ["acc export out/import/trajectories.jsonl --to parquet -o out/hf-sft", "acc export out/lf-demo/trajectories.jsonl --to parquet -o out/lf-demo/hf --overwrite"],
  ["acc export out/import/trajectories.jsonl --to verl -o out/verl", "acc export out/rl-demo/trajectories.jsonl --to verl -o out/rl-demo/verl --overwrite"],
  ["acc export out/import/trajectories.jsonl --to slime -o out/slime", "acc export out/rl-demo/trajectories.jsonl --to slime -o out/rl-demo/slime --overwrite"],
  ["acc export out/import/trajectories.jsonl --to hf-traces -o out/hf-traces", "acc export out/traces-demo/trajectories.jsonl --to hf-traces -o out/traces-demo/hub --overwrite"],
  // bookshop.sqlite and repo are copies of examples/.build's
  [
    'acc verify sql --db bookshop.sqlite --gold-sql "SELECT city FROM stores" --candidate-sql "SELECT city FROM stores ORDER BY id"',
    'acc verify sql --db examples/.build/bookshop.sqlite --gold-sql "SELECT city FROM stores" --candidate-sql "SELECT city FROM stores ORDER BY city"',
  ],
  ['acc verify patch --patch fix.diff --repo repo --base HEAD --test-cmd "python -m pytest -q tests"', 'acc verify patch --patch fix.diff --repo examples/.build/repo --base HEAD --test-cmd "python -m pytest -q tests"'],
  ["acc verify samples out/teach/samples.jsonl --db bookshop.sqlite -o verdicts.jsonl", "acc verify samples out/teach/samples.jsonl --db examples/.build/bookshop.sqlite -o verdicts.jsonl"],
  // mrcr.parquet: an eval set as Parquet, which the docs' decontaminate --against mrcr/2needle_0.parquet reads too
  ["acc decontaminate samples.jsonl --against mrcr.parquet --ngram 8", "acc decontaminate samples.jsonl --against mrcr-gen.jsonl --ngram 8"],
  // both URLs become the test's Redis and server; a worker draining an empty queue asks no model
  [
    "acc worker teach --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-235B-A22B --temperature 0.6 --drain",
    "acc worker teach --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-235B-A22B --drain",
  ],
  [
    "acc worker teach --queue redis://queue-host:6379/0 --endpoint https://api.openai.com/v1 --api-key-env OPENAI_API_KEY --model gpt-4.1 --drain",
    "acc worker teach --queue redis://127.0.0.1:6379/0 --endpoint http://127.0.0.1:8000/v1 --model Qwen/Qwen3-235B-A22B --drain",
  ],
  ["acc status --queue redis://queue-host:6379/0 --json", "acc status --queue redis://127.0.0.1:6379/0 --json"],
]);

/** Examples documented to exit non-zero, by their exact text. */
const EXPECTED_EXIT = new Map<string, number>([]);

const ENDPOINT = /https?:\/\/(?:127\.0\.0\.1:8000|api\.openai\.com|gpu:8000)\/v1/g;
/** The docs' Redis queue: a redis-server this test starts, one database per doc so that docs running at once share no job. */
const QUEUE = /redis:\/\/(?:127\.0\.0\.1|queue-host):6379\/0/g;

/** Every command line of every --help's examples, run or not. */
const helpSeen = new Set<string>();

/** The docs' examples, grouped by where they are written (one Markdown file, or one command's --help). */
async function allExamples(): Promise<Map<string, Example[]>> {
  const groups = new Map<string, Example[]>();
  for (const file of markdownFiles()) {
    const examples = shellExamples(file);
    if (examples.length > 0) groups.set(relative(ROOT, file), examples);
  }
  const top = await runCli(["--help"]);
  const commands = [...top.stdout.matchAll(/^ {2}(\w[\w-]*)\b/gm)].map((m) => m[1]!).filter((name) => name !== "help");
  // A command's --help examples run in a folder of their own; one a doc already runs (as written, or with
  // other file names: SAME_AS_DOCS) is not run twice.
  const inDocs = new Set([...groups.values()].flat().map((example) => withoutComment(example.command)));
  for (const command of commands) {
    const help = await runCli([command, "--help"]);
    // and its subcommands' (acc verify qa, acc mine snapshot, …)
    const subcommands = [...(/\nCommands:\n((?: {2}.*\n)+)/.exec(help.stdout)?.[1] ?? "").matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!).filter((name) => name !== "help");
    for (const path of [command, ...subcommands.map((sub) => `${command} ${sub}`)]) {
      const text = path === command ? help.stdout : (await runCli([...path.split(" "), "--help"])).stdout;
      for (const example of helpExamples(path, text)) helpSeen.add(example.command);
      const examples = helpExamples(path, text).filter((example) => !inDocs.has(withoutComment(example.command)) && !SAME_AS_DOCS.has(example.command));
      if (examples.length > 0) groups.set(`acc ${path} --help`, examples);
    }
  }
  return groups;
}

/** A command without the comment at its end (`acc view out/ -o view/all   # every stage`), for comparing examples. */
function withoutComment(command: string): string {
  const at = command.search(/\s#\s/);
  const before = at < 0 ? command : command.slice(0, at);
  const quotesClosed = (before.match(/'/g) ?? []).length % 2 === 0 && (before.match(/"/g) ?? []).length % 2 === 0;
  return quotesClosed ? before.trimEnd() : command;
}

/** The `-o` outputs an example names (not stdout). */
function outputsOf(command: string): string[] {
  return [...command.matchAll(/(?:^|\s)-o\s+(\S+)/g)].map((m) => m[1]!).filter((path) => path !== "-");
}

/** What an example's output must look like beyond its exit code. */
function checkShape(command: string, run: ShellRun) {
  const acc = /^(?:npx )?acc /.test(command) && !command.includes("|") && !command.includes(">");
  if (!acc) return;
  if (/ --json\b/.test(command)) {
    const summary = JSON.parse(run.stdout) as { imported?: number; rejected?: number };
    if (command.startsWith("acc inspect")) {
      assert.ok((summary.imported ?? 0) > 0, "inspect --json finds trajectories");
      assert.equal(summary.rejected, 0, "a documented inspect reports no rejects");
    }
  }
  if (/^acc verify (?:qa|sql|patch|judge) /.test(command)) assert.equal((JSON.parse(run.stdout) as { pass: boolean }).pass, true, "the documented verdict passes");
}

const groups = await allExamples();
let bin: string;
let world: World;
let server: OpenAIServer;
let redis: RedisServer | undefined;
let worldSamples: Sample[] = [];
const built = tempDir("acc-doc-examples-");

before(async () => {
  // the built package's layout (the world's examples/setup.mjs finds better-sqlite3 in its node_modules), with a bin/ of its own
  const pkg = await builtPackage();
  for (const name of ["dist", "assets", "node_modules", "package.json"]) symlinkSync(join(pkg, name), join(built, name));
  bin = join(built, "bin");
  mkdirSync(bin);
  symlinkSync(join(pkg, "bin/acc"), join(bin, "acc"));
  const script = (name: string, text: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${text}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // `npx acc` is the package's bin; `npm ci` / `npm test` are what the reader does in a checkout this test already runs in.
  script("npx", `[ "$1" = acc ] && { shift; exec acc "$@"; }; name=$1; shift; exec "${join(ROOT, "node_modules/.bin")}/$name" "$@"`);
  script("npm", `case "$1" in ci|install|test) exit 0;; esac; echo "npm $1: not available in the docs test" >&2; exit 127`);

  const samples = join(built, "world/out/compile/samples.jsonl");
  server = await startOpenAIServer(oracle(() => (worldSamples.length > 0 || !existsSync(samples) ? worldSamples : (worldSamples = readSamples(samples)))));
  // Asynchronous: the test server answering teach runs in this process.
  const acc = async (args: string[], cwd: string) => {
    const run = await sh(`acc ${args.map((arg) => `'${arg}'`).join(" ")}`, cwd, env(cwd), 300_000);
    if (run.code !== 0) throw new Error(`building the docs' world: acc ${args.join(" ")}: ${run.stderr}`);
  };
  world = await buildWorld(join(built, "world"), acc, server.url);
  if (REDIS_MISSING) world.missing.set("redis://", REDIS_MISSING);
  else redis = await startRedis();
  // Test commands run in the sandbox, which hides home folders: a python installed under one (pyenv) is not there.
  const python = spawnSync("sh", ["-c", "readlink -f \"$(command -v python)\""], { encoding: "utf8" }).stdout.trim();
  if (!python || /^\/(root|home)\//.test(python)) world.missing.set("python -m pytest", `python (${python || "none"}) is not on a path the sandbox shows`);
});

after(async () => {
  await server?.close();
  await redis?.stop();
  rmSync(built, { recursive: true, force: true });
});

function env(workspace: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: join(workspace, "home"), PATH: `${bin}:${process.env.PATH}`, OPENAI_API_KEY: "sk-docs-test", ACC_DEBUG: "", NO_COLOR: "1" };
}


test("every example listed as not run, expected to fail or the same as a docs example is still in the docs", () => {
  const all = new Set([...groups.values()].flat().map((example) => example.command));
  for (const command of [...NOT_RUN.keys(), ...EXPECTED_EXIT.keys(), ...SAME_AS_DOCS.values()]) assert.ok(all.has(command), `no longer in the docs: ${command}`);
  for (const command of SAME_AS_DOCS.keys()) assert.ok(helpSeen.has(command), `no longer in any --help: ${command}`);
});

suite("every shell example in the docs and in --help runs", { concurrency: 2 }, () => {
  for (const [index, [doc, examples]] of [...groups].entries()) {
    test(doc, async (t) => {
      const workspace = join(built, "ws", doc.replace(/[^\w.-]+/g, "_"));
      cpSync(world.dir, workspace, { recursive: true, verbatimSymlinks: true });
      // removed when the doc is done, not all at the end: about 10 MB each
      t.after(() => rmSync(workspace, { recursive: true, force: true }));
      adjustWorkspace(workspace, doc);
      const failures: string[] = [];
      for (const example of examples) {
        const skip = NOT_RUN.get(example.command) ?? [...world.missing].find(([path]) => example.command.includes(path))?.[1];
        if (skip) {
          t.diagnostic(`not run: ${example.source}: ${skip}`);
          continue;
        }
        const command = example.command.replace(ENDPOINT, server.url).replace(QUEUE, () => `redis://127.0.0.1:${redis!.port}/${index % 16}`);
        const started = performance.now();
        const run = await sh(command, workspace, env(workspace), 300_000);
        t.diagnostic(`${((performance.now() - started) / 1000).toFixed(1)} s ${example.source}`);
        const expected = EXPECTED_EXIT.get(example.command) ?? 0;
        try {
          assert.equal(run.code, expected, `exit code ${run.code}, expected ${expected}`);
          assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, "no stack trace");
          if (expected === 0) for (const output of outputsOf(command)) assert.ok(existsSync(join(workspace, output)), `no ${output} written`);
          checkShape(example.command, run);
        } catch (error) {
          failures.push(`${example.source}: ${example.command}\n  ${(error as Error).message.split("\n")[0]}\n  stderr: ${run.stderr.trim().split("\n").slice(-3).join("\n          ")}`);
        }
      }
      assert.equal(failures.length, 0, `\n${failures.join("\n")}`);
    });
  }
});
