import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Chain, Link, PullRequest, StageInstance } from "../../src/records/mine.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { buildScenario } from "./scenario.js";

const FILES = ["chains.jsonl", "links.jsonl", "manifest.json", "prs.jsonl", "rejects.jsonl", "stages.jsonl"];

test("acc mine writes valid JSONL records and a manifest, prints the summary table, and is byte-identical across runs", async () => {
  const { repo } = buildScenario();
  const work = tempDir();
  const first = join(work, "first");
  const run = await runCli(["mine", repo.dir, "-o", first, "-q", "--summary-json", join(work, "summary.json")]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "");
  assert.deepEqual(readdirSync(first).sort(), [".acc-output.json", ...FILES], "no temporary files left behind");
  const records = (name: string) => readFileSync(join(first, name), "utf8").trim().split("\n").map((line) => JSON.parse(line));
  for (const [name, schema] of [["prs.jsonl", PullRequest], ["links.jsonl", Link], ["chains.jsonl", Chain], ["stages.jsonl", StageInstance]] as const) {
    for (const [i, record] of records(name).entries()) assert.ok(schema.safeParse(record).success, `${name}:${i + 1}`);
  }
  assert.equal(records("prs.jsonl").length, 7);
  assert.equal(records("links.jsonl").length, 12);
  assert.equal(records("chains.jsonl").length, 3);
  assert.equal(records("stages.jsonl").length, 7);
  const manifest = JSON.parse(readFileSync(join(first, "manifest.json"), "utf8"));
  assert.deepEqual([manifest.repo, manifest.repo_path, manifest.ref], ["acme/widgets", repo.dir, "HEAD"]);
  assert.deepEqual(JSON.parse(readFileSync(join(work, "summary.json"), "utf8")), manifest.stats);

  for (const row of [
    /commits\s+reachable\s+15/,
    /commits\s+first-parent\s+13/,
    /commits\s+in a PR\s+9/,
    /commits\s+no PR marker\s+4/,
    /PRs\s+merge\s+1/,
    /PRs\s+squash\s+5/,
    /PRs\s+rebase\s+1/,
    /PRs\s+bots \(filtered\)\s+1/,
    /reformats\s+listed\s+1/,
    /reformats\s+detected\s+1/,
    /links\s+blame\s+3/,
    /links\s+closes\s+3/,
    /chains\s+length 2\s+1/,
    /chains\s+length 4\s+1/,
    /stages\s+fix\s+2/,
    /stages\s+test\s+1/,
  ]) {
    assert.match(run.stderr, row);
  }
  assert.match(run.stderr, new RegExp(`written to ${first}`));

  const second = join(work, "second");
  assert.equal((await runCli(["mine", repo.dir, "-o", second, "-q"])).code, 0);
  for (const name of FILES) assert.equal(readFileSync(join(second, name), "utf8"), readFileSync(join(first, name), "utf8"), name);
});

test("acc mine usage errors exit 2 with one line: flags, a path that is not a repository, a ref that names no commit", async () => {
  const { repo } = buildScenario();
  const out = join(tempDir(), "out");
  const missing = await runCli(["mine", repo.dir]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /-o, --out <dir> is required/);
  const name = await runCli(["mine", repo.dir, "-o", out, "--repo-name", "just-a-name"]);
  assert.equal(name.code, 2);
  assert.match(name.stderr, /--repo-name expects owner\/name, got "just-a-name"/);
  const timeout = await runCli(["mine", repo.dir, "-o", out, "--test-timeout", "0"]);
  assert.equal(timeout.code, 2);
  const notRepo = tempDir();
  const failed = await runCli(["mine", notRepo, "-o", out, "-q"]);
  assert.equal(failed.code, 2);
  assert.equal(failed.stderr, `acc: ${notRepo} is not a git repository; pass the folder of a clone (a work tree or a bare repository)\n`);
  assert.ok(!existsSync(out), "a bad <repo> claims no output folder");
  const ref = await runCli(["mine", repo.dir, "-o", out, "-q", "--ref", "v9"]);
  assert.equal(ref.code, 2);
  assert.equal(ref.stderr, `acc: "v9" names no commit in ${repo.dir}; pass a branch, tag or commit of it (git branch -a lists them)\n`);
  const help = await runCli(["mine", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:\n {2}acc mine/);
});

test("--repo-name and --ref choose the name in records (and which references are local) and the history mined", async () => {
  const { repo, shas } = buildScenario();
  const out = join(tempDir(), "out");
  assert.equal((await runCli(["mine", repo.dir, "-o", out, "-q", "--repo-name", "acme/calc", "--ref", shas.pr5])).code, 0);
  const prs = readFileSync(join(out, "prs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(prs.map((pr) => pr.number), [1, 2, 3, 4, 5]);
  assert.ok(prs.every((pr) => pr.repo === "acme/calc"));
  const stages = readFileSync(join(out, "stages.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  // #2 says "Resolves acme/widgets#100": an issue of another repository now, so no same-issue link to #1.
  assert.deepEqual(prs[1].closing_issues, []);
  assert.deepEqual(stages.map((s) => s.instance_id), ["acme__calc-1", "acme__calc-3", "acme__calc-4", "acme__calc-5"]);
});
