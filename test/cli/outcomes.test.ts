import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXAMPLE_LOGS } from "../helpers/examples.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemSample, writeSamples } from "../teach/helpers.js";

/** One line on stderr, and it is the last: the run's failure, with what to do. */
function lastLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  return lines.at(-1)!;
}

test("a run where nothing succeeded exits 1 and writes no output: import of rejected records, empty inputs, no logs", async () => {
  const dir = tempDir();
  const binary = join(dir, "blob.bin");
  writeFileSync(binary, Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]));
  const out = join(dir, "out.jsonl");
  const rejected = await runCli(["import", binary, "-o", out, "-q"]);
  assert.equal(rejected.code, 1);
  assert.match(lastLine(rejected.stderr), new RegExp(`^acc: nothing imported from ${binary}: its one record was rejected \\(\\S+:1\\); see ${out}\\.rejects\\.jsonl`));
  assert.equal(existsSync(out), false, "no empty output file");
  const numbers = join(dir, "numbers.json");
  writeFileSync(numbers, "[1, 2, 3]\n");
  const array = await runCli(["import", numbers, "-o", out, "-q"]);
  assert.equal(array.code, 1);
  assert.match(lastLine(array.stderr), /^acc: nothing imported from .*numbers\.json: its one record was rejected \(unknown-format:1\)/);
  const empty = join(dir, "empty");
  mkdirSync(empty);
  const none = await runCli(["import", empty, "-o", out, "-q"]);
  assert.deepEqual([none.code, lastLine(none.stderr)], [1, `acc: no agent logs in ${empty}; see \`acc formats\` for the logs acc reads`]);
  const inspect = await runCli(["inspect", empty, "-q"]);
  assert.equal(inspect.code, 1);
  assert.equal(existsSync(out), false);
});

test("export of trajectories: multi-turn rows for the SFT targets; samples given to a trajectories-only target are refused in one line, nothing written", async () => {
  const dir = tempDir();
  const trajectories = join(dir, "trajectories.jsonl");
  const imported = await runCli(["import", EXAMPLE_LOGS, "-o", trajectories, "-q"]);
  assert.equal(imported.code, 0, imported.stderr);
  const lines = readFileSync(trajectories, "utf8").trim().split("\n").length;
  const out = join(dir, "trl");
  const exported = await runCli(["export", trajectories, "--to", "trl", "-o", out]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, new RegExp(`read ${lines} = exported ${lines} \\+ rejected 0`));
  assert.equal(readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").length, lines);
  const samples = writeSamples(dir, [itemSample(1)]);
  const verl = join(dir, "verl");
  const refused = await runCli(["export", samples, "--to", "verl", "-o", verl]);
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.split("\n").filter(Boolean).length, 1, refused.stderr);
  assert.match(refused.stderr, /--to verl: .* holds samples, and verl is made from trajectories; samples export to trl, .*; export the trajectories/);
  assert.equal(existsSync(verl), false);
});

test("export: --reasoning field is refused where the rows cannot hold it, instead of dropping the reasoning", async () => {
  const dir = tempDir();
  const samples = writeSamples(dir, [itemSample(1)]);
  const refused = await runCli(["export", samples, "--to", "llamafactory", "--reasoning", "field", "-o", join(dir, "lf")]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^acc: --reasoning field: llamafactory rows cannot carry it \(a ShareGPT turn has only from and value; .*\); use --reasoning think or none\n$/);
  assert.equal(existsSync(join(dir, "lf")), false);
  const axolotl = await runCli(["export", samples, "--to", "axolotl", "--reasoning", "field", "-o", join(dir, "ax")]);
  assert.equal(axolotl.code, 0, axolotl.stderr);
});

test("an output folder holding another target's or stage's outputs is refused; --overwrite replaces them and leaves nothing of the earlier run", async () => {
  const dir = tempDir();
  const samples = writeSamples(dir, [itemSample(1), itemSample(2)]);
  const out = join(dir, "export");
  assert.equal((await runCli(["export", samples, "--to", "llamafactory", "-o", out])).code, 0);
  assert.ok(existsSync(join(out, "dataset_info.json")));
  const mixed = await runCli(["export", samples, "--to", "trl", "-o", out]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /holds the outputs of export --to llamafactory \(README\.md, dataset_info\.json, train\.jsonl\); acc export --to trl will not mix its outputs with them; choose another output folder, or pass --overwrite to replace them\n$/);
  const again = await runCli(["export", samples, "--to", "llamafactory", "-o", out]);
  assert.equal(again.code, 0, "the same target into its own folder is a rerun");
  const replaced = await runCli(["export", samples, "--to", "trl", "-o", out, "--overwrite"]);
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(readdirSync(out).sort(), [".acc-output.json", "README.md", "train.jsonl"], "no dataset_info.json left from the LLaMA-Factory export");
  const teach = await runCli(["teach", samples, "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "-o", out, "-q"]);
  assert.equal(teach.code, 2);
  assert.match(teach.stderr, /holds the outputs of export --to trl/);
  const foreign = join(dir, "notes");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "mine.txt"), "keep me");
  const refused = await runCli(["export", samples, "--to", "trl", "-o", foreign]);
  assert.match(refused.stderr, /holds files acc did not write \(mine\.txt\).*pass --overwrite to write there anyway/);
  assert.equal((await runCli(["export", samples, "--to", "trl", "-o", foreign, "--overwrite"])).code, 0);
  assert.ok(existsSync(join(foreign, "mine.txt")), "a folder acc did not make keeps its files");
  const own = await runCli(["export", samples, "--to", "openai", "-o", dir, "--overwrite"]);
  assert.equal(own.code, 2, "--overwrite never removes an input");
  assert.match(own.stderr, /holds an input of this run/);
  assert.ok(existsSync(samples));
});

test("compile refuses a --repo that is not a git repository and a --db that is not SQLite, before writing anything", async () => {
  const dir = tempDir();
  const out = join(dir, "out");
  const repo = await runCli(["compile", EXAMPLE_LOGS, "-o", out, "--repo", dir, "-q"]);
  assert.equal(repo.code, 2);
  assert.match(repo.stderr, new RegExp(`^acc: --repo ${dir}: not a git repository \\(git: fatal: not a git repository`));
  const text = join(dir, "notes.txt");
  writeFileSync(text, "not a database");
  const db = await runCli(["compile", EXAMPLE_LOGS, "-o", out, "--db", text, "-q"]);
  assert.deepEqual([db.code, db.stderr], [2, `acc: --db ${text}: not a SQLite database (or a folder of them); see \`acc compile --help\`\n`]);
  assert.equal(existsSync(out), false);
});

test("acc --version prints the package's version and exits 0; the top-level help lists every command", async () => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string };
  for (const flag of ["--version", "-V"]) {
    const result = await runCli([flag]);
    assert.deepEqual(result, { code: 0, stdout: `${version}\n`, stderr: "" });
  }
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  for (const command of ["import", "compile", "export", "eval", "mine", "teach", "rollout", "view", "worker"]) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, "m"));
});
