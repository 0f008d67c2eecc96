import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { startOpenAIServer } from "../../src/testing/openai-server.js";
import { EXAMPLE_LOGS, buildExamples } from "../helpers/examples.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemSample } from "../teach/helpers.js";

// The CLI test matrix: every command that reads a file or writes one, against each class of bad input
// a user meets (missing, empty, binary and wrong-format inputs, bad flag values, unwritable and special
// output paths, an endpoint nobody listens on). Each run must exit with the right code (1 failed work,
// 2 usage), say so in exactly one `acc:` line on stderr with no stack trace, and leave nothing behind in
// the folder it ran in. Signals are tested on the real process in signals.test.ts.

const DEAD = "http://127.0.0.1:9/v1";
const examples = buildExamples();
const ROLLOUT = join(import.meta.dirname, "../../examples/rollout");

/** Every file under `dir`, relative, sorted (hidden temporary files included). */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

interface Inputs {
  /** Where the run happens; the inputs live here and outputs go under it. */
  dir: string;
  samples: string;
  trajectories: string;
  tasks: string;
  /** Logs with one record that is rejected: inspect writes its --rejects file only then. */
  mixed: string;
  heldout: string;
}

function inputs(): Inputs {
  const dir = tempDir("acc-matrix-");
  const samples = join(dir, "samples.jsonl");
  writeFileSync(samples, `${JSON.stringify(itemSample(1))}\n${JSON.stringify(itemSample(2))}\n`);
  const trajectories = join(dir, "trajectories.jsonl");
  copyFileSync(join(EXAMPLE_LOGS, "swe-agent.jsonl"), trajectories);
  const tasks = join(dir, "tasks.jsonl");
  copyFileSync(join(ROLLOUT, "sql-tasks.jsonl"), tasks);
  const mixed = join(dir, "mixed.jsonl");
  writeFileSync(mixed, `${readFileSync(join(EXAMPLE_LOGS, "search-agents.jsonl"), "utf8")}{"messages": "not a list"}\n`);
  const heldout = join(dir, "heldout.jsonl");
  writeFileSync(heldout, `${JSON.stringify({ text: "Which river flows through Vienna?" })}\n`);
  return { dir, samples, trajectories, tasks, mixed, heldout };
}

/** A command line with its one input file and its one output replaced. */
interface Command {
  name: string;
  /** The valid input this command reads (its class of file). */
  input: (i: Inputs) => string;
  argv: (input: string, out: string, i: Inputs) => string[];
  /** Output as a folder (most stages) or a file. */
  out: "dir" | "file";
  /** Exit codes for an empty, binary or wrong-format input when not 1 (failed work). */
  inputExit?: Partial<Record<"empty" | "binary" | "wrong", number>>;
}

const COMMANDS: Command[] = [
  { name: "import", input: (i) => i.trajectories, argv: (input, out) => ["import", input, "-o", out, "-q"], out: "file" },
  { name: "inspect", input: (i) => i.mixed, argv: (input, out) => ["inspect", input, "--rejects", out, "-q"], out: "file" },
  { name: "compile", input: (i) => i.trajectories, argv: (input, out) => ["compile", input, "-o", out, "--repo", examples.repo, "-q"], out: "dir" },
  { name: "export", input: (i) => i.samples, argv: (input, out) => ["export", input, "--to", "trl", "-o", out], out: "dir" },
  { name: "decontaminate", input: (i) => i.samples, argv: (input, out, i) => ["decontaminate", input, "--against", i.heldout, "-o", out], out: "dir" },
  { name: "teach", input: (i) => i.samples, argv: (input, out) => ["teach", input, "--endpoint", DEAD, "--model", "m", "-o", out, "-q"], out: "dir" },
  { name: "verify samples", input: (i) => i.samples, argv: (input, out) => ["verify", "samples", input, "-o", out, "-q"], out: "file" },
  // The --tasks file is a flag's argument: an empty or unreadable one is a usage error.
  { name: "rollout", input: (i) => i.tasks, argv: (input, out) => ["rollout", "--env", `sql:${examples.db}`, "--tasks", input, "--endpoint", DEAD, "--model", "m", "-o", out, "-q"], out: "dir", inputExit: { empty: 2, binary: 2, wrong: 2 } },
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Exactly one `acc:` line, the last on stderr, no stack trace, nothing left in the run's folder. */
function assertOneLine(what: string, run: Outcome, code: number, pattern: RegExp) {
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(run.code, code, `${what}: exit ${run.code}, expected ${code}; stderr: ${run.stderr}`);
  assert.equal(lines.filter((line) => line.startsWith("acc: ")).length, 1, `${what}: one acc: line\n${run.stderr}`);
  assert.match(lines.at(-1)!, pattern, what);
  assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, `${what}: no stack trace`);
}

/**
 * Runs argv in i.dir and checks its outcome. A failed run leaves nothing behind, except in the output
 * folder whose file its error line points the user to (the rejects of a run whose every record was
 * rejected, or a resumable stage's folder).
 */
async function check(what: string, i: Inputs, argv: string[], code: number, pattern: RegExp) {
  const before = new Set(tree(i.dir));
  const started = Date.now();
  const run = await runCli(argv);
  assertOneLine(what, run, code, pattern);
  assert.ok(Date.now() - started < 60_000, `${what}: no hang`);
  const out = join(i.dir, "out");
  const named = [...run.stderr.matchAll(/(\/\S+?)[;,)]?(?=\s|$)/g)].map((m) => m[1]!).filter((path) => path.startsWith(`${out}/`));
  const left = tree(i.dir)
    .filter((path) => !before.has(path))
    .map((path) => join(i.dir, path))
    .filter((path) => !named.some((file) => path === file || file.startsWith(`${path}/`) || path.startsWith(`${dirname(file)}/`)));
  assert.deepEqual(left, [], `${what}: nothing left behind that the error line does not name`);
}

for (const command of COMMANDS) {
  test(`${command.name}: missing, empty, binary and wrong-format inputs`, async () => {
    const i = inputs();
    const out = join(i.dir, "out", command.out === "dir" ? "" : "x.jsonl").replace(/\/$/, "");
    const missing = join(i.dir, "nope.jsonl");
    await check("missing input", i, command.argv(missing, out, i), 2, new RegExp(`^acc: (--[a-z]+: )?${missing} does not exist`));
    const empty = join(i.dir, "empty.jsonl");
    writeFileSync(empty, "");
    await check("empty input", i, command.argv(empty, out, i), command.inputExit?.empty ?? 1, /^acc: .*(nothing|no |empty|0 )/);
    const binary = join(i.dir, "blob.jsonl");
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff, 0xfe, 10, 0, 1, 2]));
    await check("binary input", i, command.argv(binary, out, i), command.inputExit?.binary ?? 1, /^acc: /);
    const wrong = join(i.dir, "wrong.jsonl");
    writeFileSync(wrong, command.input(i) === i.samples ? `${JSON.stringify({ messages: [{ role: "user", content: "hi" }] })}\n` : "[1, 2, 3]\n");
    await check("wrong-format input", i, command.argv(wrong, out, i), command.inputExit?.wrong ?? 1, /^acc: /);
  });

  test(`${command.name}: unwritable, invalid and special output paths fail fast with one line`, async () => {
    const i = inputs();
    const file = join(i.dir, "a-file");
    writeFileSync(file, "");
    const input = command.input(i);
    const leaf = command.out === "dir" ? "out" : "x.jsonl";
    await check("-o under a file", i, command.argv(input, join(file, "sub", leaf), i), 2, new RegExp(`^acc: cannot (write|create the folder) ${file}/sub/.*${file} is not a folder`));
    await check("-o under /dev/null", i, command.argv(input, join("/dev/null", leaf), i), 2, /^acc: cannot (write|create the folder) \/dev\/null\/.*\/dev\/null is not a folder/);
    await check("-o under /proc", i, command.argv(input, join("/proc/acc-matrix", leaf), i), 2, /^acc: cannot (write|create the folder) \/proc\/acc-matrix.*special file system/);
    if (process.getuid?.() !== 0) {
      const locked = join(i.dir, "locked");
      mkdirSync(locked, { mode: 0o555 });
      await check("-o in a read-only folder", i, command.argv(input, join(locked, leaf), i), 2, /^acc: cannot .*permission denied/);
    }
  });
}

test("mine: an output under a file, /dev/null or /proc fails fast with one line", async () => {
  const i = inputs();
  const file = join(i.dir, "a-file");
  writeFileSync(file, "");
  await check("mine -o under a file", i, ["mine", examples.repo, "-o", join(file, "sub", "out")], 2, new RegExp(`^acc: cannot create the folder ${file}/sub/out: ${file} is not a folder`));
  await check("mine -o under /dev/null", i, ["mine", examples.repo, "-o", "/dev/null/out"], 2, /^acc: cannot create the folder \/dev\/null\/out: \/dev\/null is not a folder/);
  await check("mine -o under /proc", i, ["mine", examples.repo, "-o", "/proc/acc-matrix/out"], 2, /^acc: cannot create the folder \/proc\/acc-matrix\/out: .*special file system/);
});

test("commands that call a model exit 1 with one line naming the endpoint when nobody listens there", async () => {
  const i = inputs();
  const out = (name: string) => join(i.dir, name);
  // One retry each (not the default 5, whose backoff waits up to 15 s): the failed retry is still the path taken.
  const cases: [string, string[]][] = [
    ["teach", ["teach", i.samples, "--endpoint", DEAD, "--model", "m", "-o", out("teach"), "-q"]],
    ["rollout", ["rollout", "--env", `sql:${examples.db}`, "--tasks", i.tasks, "--endpoint", DEAD, "--model", "m", "-o", out("rollout"), "-q"]],
    ["eval", ["eval", "graphwalks", "--data", "generated:sizes=4k,per-size=1", "--endpoint", DEAD, "--model", "m", "-o", out("eval"), "-q"]],
    ["verify judge", ["verify", "judge", "--endpoint", DEAD, "--model", "m", "--question", "Which comet?", "--answer", "67P", "--gold", "67P"]],
  ];
  for (const [what, argv] of cases) {
    const run = await runCli([...argv, "--retries", "1"]);
    assertOneLine(what, run, 1, /^acc: .*(127\.0\.0\.1:9|connect|ECONNREFUSED|failed)/);
  }
});

test("--retries: every command that calls a model sends a failing request once more per retry, then fails", async (t) => {
  const server = await startOpenAIServer(() => ({ type: "error", status: 503, retryAfter: "0" }));
  t.after(() => server.close());
  const i = inputs();
  const task = join(i.dir, "one-task.jsonl");
  writeFileSync(task, readFileSync(i.tasks, "utf8").split("\n")[0]!);
  const out = (name: string) => join(i.dir, name);
  const cases: [string, string[]][] = [
    ["teach", ["teach", i.samples, "--endpoint", server.url, "--model", "m", "--candidates", "1", "--no-cache", "-o", out("teach"), "-q"]],
    ["rollout", ["rollout", "--env", `sql:${examples.db}`, "--tasks", task, "--group-size", "1", "--endpoint", server.url, "--model", "m", "-o", out("rollout"), "-q"]],
    ["eval", ["eval", "graphwalks", "--data", "generated:sizes=4k,per-size=1", "--endpoint", server.url, "--model", "m", "--no-cache", "-o", out("eval"), "-q"]],
    ["verify judge", ["verify", "judge", "--endpoint", server.url, "--model", "m", "--no-cache", "--question", "Which comet?", "--answer", "67P", "--gold", "67P"]],
  ];
  for (const [what, argv] of cases) {
    server.requests.length = 0;
    const run = await runCli([...argv, "--retries", "1"]);
    assert.equal(run.code, 1, `${what}: ${run.stderr}`);
    const sent = new Map<string, number>();
    for (const request of server.requests) sent.set(JSON.stringify(request.body), (sent.get(JSON.stringify(request.body)) ?? 0) + 1);
    assert.ok(sent.size > 0, `${what}: asked the model`);
    assert.deepEqual(new Set(sent.values()), new Set([2]), `${what} --retries 1: each request sent twice (the default would send it 6 times)`);
  }
});

test("bad flag values are usage errors (exit 2) naming the flag", async () => {
  const i = inputs();
  const out = join(i.dir, "out");
  const cases: [string, string[], RegExp][] = [
    ["compile --workers", ["compile", i.trajectories, "-o", out, "--repo", examples.repo, "--workers", "lots"], /--workers/],
    ["compile --length", ["compile", i.trajectories, "-o", out, "--repo", examples.repo, "--length", "search=huge"], /--length/],
    ["export --to", ["export", i.samples, "--to", "csv", "-o", out], /--to/],
    ["import --format", ["import", i.trajectories, "--format", "nonesuch", "-o", join(out, "t.jsonl")], /--format|nonesuch/],
    ["eval --data generated", ["eval", "graphwalks", "--data", "generated:sizes=abc", "--save-data", join(out, "x.jsonl")], /sizes|generated/],
    ["eval size too small for its needles", ["eval", "mrcr", "--data", "generated:sizes=1k,per-size=1", "--save-data", join(out, "x.jsonl")], /1k|size|needle/i],
    ["teach --candidates", ["teach", i.samples, "--endpoint", DEAD, "--model", "m", "--candidates", "0", "-o", out], /--candidates/],
    ["rollout --env", ["rollout", "--env", "cloud:x", "--tasks", i.tasks, "--endpoint", DEAD, "--model", "m", "-o", out], /--env/],
    ["eval --responses missing", ["eval", "graphwalks", "--data", "generated:sizes=4k,per-size=1", "--responses", join(i.dir, "none.jsonl"), "-o", out], /none\.jsonl/],
    ["rollout --tasks missing", ["rollout", "--env", `sql:${examples.db}`, "--tasks", join(i.dir, "none.jsonl"), "--endpoint", DEAD, "--model", "m", "-o", out], /none\.jsonl/],
    ["mine on a folder that is not a repository", ["mine", i.dir, "-o", out], /not a git repository/],
    ["compile --db not a database", ["compile", i.trajectories, "-o", out, "--db", i.samples], /--db/],
  ];
  for (const [what, argv, pattern] of cases) {
    const before = tree(i.dir);
    const run = await runCli(argv);
    assertOneLine(what, run, 2, pattern);
    assert.deepEqual(tree(i.dir), before, `${what}: nothing left behind (${relative(i.dir, out)})`);
  }
});
