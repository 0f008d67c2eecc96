import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { builtCli } from "../helpers/built-cli.js";
import { tempDir } from "../helpers/collect.js";
import { buildExamples, EXAMPLE_LOGS } from "../helpers/examples.js";

// docs/scale.md's Slurm script and Kubernetes manifest, run as written with the index a scheduler
// would set (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX) set here by hand for every index, then merged.

const ROOT = join(import.meta.dirname, "../..");
const doc = readFileSync(join(ROOT, "docs/scale.md"), "utf8");
const block = (language: string) => {
  const found = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(doc);
  assert.ok(found, `docs/scale.md has a ${language} block`);
  return found[1]!;
};

async function workspace(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = tempDir("acc-scale-");
  const { db } = buildExamples();
  mkdirSync(join(dir, "examples"));
  symlinkSync(EXAMPLE_LOGS, join(dir, "examples/logs"));
  symlinkSync(join(db, ".."), join(dir, "examples/.build"));
  const { bin } = await builtCli();
  return { dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv): void {
  const run = spawnSync("sh", ["-c", script], { cwd, env, encoding: "utf8", timeout: 300_000 });
  assert.equal(run.status, 0, `${script}\n${run.stderr}`);
}

test("the Slurm array script and the Indexed Job's command of docs/scale.md, run for every index and merged, give the same bytes", async () => {
  const { dir, env } = await workspace();
  const slurm = block("slurm");
  assert.match(slurm, /^#SBATCH --array=0-3$/m);
  // the manifest's container command, and its shard count (given to the command as SHARDS)
  const manifest = block("yaml");
  assert.match(manifest, /completionMode: Indexed/);
  const command = /command: \["sh", "-c"\]\n\s+args:\n\s+- (.+)\n/.exec(manifest)?.[1];
  assert.ok(command, "the manifest runs one sh -c command");
  assert.equal(/- name: SHARDS\n\s+value: "(\d+)"/.exec(manifest)?.[1], /completions: (\d+)/.exec(manifest)?.[1], "SHARDS is the Job's completions");

  // fewer shards than the docs' 4 keep the test short (three compiles); the commands are the same, the counts set by hand
  const slurmShards = 2;
  writeFileSync(join(dir, "compile-array.sbatch"), slurm);
  for (let i = 0; i < slurmShards; i++) sh("sh compile-array.sbatch", dir, { ...env, SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_COUNT: String(slurmShards) });
  sh("acc merge out/shards/compile-* -o out/slurm", dir, env);

  const k8sShards = 1;
  for (let i = 0; i < k8sShards; i++) sh(command.replace("out/shards/", "out/k8s-shards/"), dir, { ...env, JOB_COMPLETION_INDEX: String(i), SHARDS: String(k8sShards) });
  sh("acc merge out/k8s-shards/compile-* -o out/k8s", dir, env);

  // 2 shards merge into the files of 1 (each the files of one unsharded run: test/shard/shard.test.ts)
  for (const file of ["samples.jsonl", "rejects.jsonl", "stats.json"]) {
    assert.ok(readFileSync(join(dir, "out/slurm", file)).equals(readFileSync(join(dir, "out/k8s", file))), `${file} differs`);
  }
  assert.ok(readFileSync(join(dir, "out/slurm/samples.jsonl"), "utf8").split("\n").length > 5);
});
