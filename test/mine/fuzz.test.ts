import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BinaryLiterals } from "../../src/mine/binary-patch.js";
import { BlobReader } from "../../src/mine/blobs.js";
import { Git, gitEnvironment } from "../../src/mine/git.js";
import { readGraph } from "../../src/mine/graph.js";
import { readMainlinePatches, readPairPatches } from "../../src/mine/history.js";
import { assembleStagePatch } from "../../src/mine/instances.js";
import { recoverPrs } from "../../src/mine/prs.js";
import { mineRepository } from "../../src/mine/run.js";
import { StageInstance } from "../../src/records/mine.js";
import { tempDir } from "../helpers/collect.js";
import { buildRandomRepo } from "./random-repo.js";

const SEEDS = 12;

/**
 * The trees that each `base` + `patch` gives, applied with `git apply --cached` in a scratch index: one
 * shell script for the lot (one spawn from the test instead of three per patch).
 */
function treesAfter(repo: string, work: string, cases: readonly { base: string; patch: string }[]): string[] {
  const lines = ["set -e", `index=${JSON.stringify(join(work, "index"))}`];
  cases.forEach(({ base, patch }, i) => {
    mkdirSync(work, { recursive: true });
    const file = join(work, `patch-${i}`);
    writeFileSync(file, patch);
    lines.push(`GIT_INDEX_FILE=$index git -C ${JSON.stringify(repo)} read-tree ${base}`);
    if (patch) lines.push(`GIT_INDEX_FILE=$index git -C ${JSON.stringify(repo)} apply --cached --binary --whitespace=nowarn ${JSON.stringify(file)}`);
    lines.push(`GIT_INDEX_FILE=$index git -C ${JSON.stringify(repo)} write-tree`);
  });
  const run = spawnSync("sh", ["-c", lines.join("\n")], { env: gitEnvironment(), encoding: "utf8" });
  if (run.status !== 0) throw new Error(`applying the patches failed: ${run.stderr}`);
  return run.stdout.trim().split("\n");
}

const treesOf = (repo: string, commits: readonly string[]) =>
  spawnSync("git", ["-C", repo, "rev-parse", ...commits.map((c) => `${c}^{tree}`)], { encoding: "utf8" }).stdout.trim().split("\n");

test(`fuzz: ${SEEDS} random repositories of awkward changes mine without a crash or an unreadable diff, and every PR's stage patch reproduces its merge tree`, async () => {
  const work = tempDir();
  let checked = 0;
  let binaryEncoded = 0;
  const seen = new Set<string>();
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { dir } = buildRandomRepo(join(work, `r${seed}.git`), seed, 12);
    const result = await mineRepository({ repo: dir, repoName: "acme/fuzz" });
    assert.deepEqual(result.rejects.filter((r) => r.kind === "commit"), [], `seed ${seed}: git's own output always parses`);
    for (const reject of result.rejects) assert.match(reject.reason, /changes nothing|problem statement/, `seed ${seed}: ${reject.reason}`);

    // Every PR, not only those chains chose: its diff through the same reader and assembly.
    const git = new Git(dir);
    const graph = await readGraph(git, (await git.text(["rev-parse", "HEAD"])).trim());
    const prs = recoverPrs(graph).prs;
    const patches = new Map<number, string>();
    const blobs = new BlobReader(dir);
    try {
      let i = 0;
      for await (const record of readPairPatches(git, prs.map((pr) => ({ base: pr.baseCommit, head: pr.mergeCommit })), { keepPatch: () => true })) {
        const pr = prs[i++]!;
        assert.equal(record.error, undefined, `seed ${seed} #${pr.number}: ${record.error}`);
        const assembled = await assembleStagePatch(record, new BinaryLiterals(blobs));
        if (!assembled.ok) {
          const [base, merge] = treesOf(dir, [pr.baseCommit, pr.mergeCommit]);
          assert.equal(base, merge, `seed ${seed} #${pr.number} rejected (${assembled.reason}) but changes the tree`);
          continue;
        }
        const { patch, test_patch } = assembled.value;
        assert.ok(!patch.includes("\0") && !test_patch.includes("\0"), "no NUL reaches a patch");
        patches.set(pr.number, test_patch + patch);
      }
    } finally {
      await blobs.close();
    }
    const applied = prs.filter((pr) => patches.has(pr.number));
    const trees = treesAfter(dir, join(work, `apply-${seed}`), applied.map((pr) => ({ base: pr.baseCommit, patch: patches.get(pr.number)! })));
    assert.deepEqual(trees, treesOf(dir, applied.map((pr) => pr.mergeCommit)), `seed ${seed}: every PR's patch gives its merge tree`);
    checked += applied.length;
    for (const stage of result.stages) {
      assert.ok(StageInstance.safeParse(stage).success, `seed ${seed}: ${stage.instance_id} matches the schema`);
      assert.equal(stage.test_patch + stage.patch, patches.get(stage.pull_number), `seed ${seed}: chain stage ${stage.instance_id} is that patch`);
      binaryEncoded += stage.binary_encoded.length;
    }
    for await (const commit of readMainlinePatches(git, graph.tip, { lines: true })) {
      assert.equal(commit.error, undefined, `seed ${seed} ${commit.sha}`);
      const parents = graph.commits.get(commit.sha)!.parents.length;
      if (parents > 2) seen.add("octopus merge");
      if (parents === 2 && commit.files.length === 0) seen.add("empty merge");
      for (const file of commit.files) {
        seen.add(`status ${file.status}`);
        if (file.newMode === "120000") seen.add("symlink");
        if (file.newMode === "160000") seen.add("submodule");
        if (file.oldMode !== file.newMode && file.status === "M") seen.add("mode change");
        if (file.pathBytes.includes(0xe9)) seen.add("Latin-1 path");
      }
    }
    for (const commit of graph.commits.values()) {
      if (commit.parents.length !== 2) continue;
      if (/Merge branch 'main'/.test(commit.message)) seen.add("main merged into a branch");
      const bases = spawnSync("git", ["-C", dir, "merge-base", "--all", ...commit.parents], { encoding: "utf8" }).stdout.trim().split("\n");
      if (bases.length > 1) seen.add("criss-cross");
    }
  }
  for (const kind of ["octopus merge", "empty merge", "main merged into a branch", "criss-cross", "status A", "status D", "status M", "status R", "status T", "symlink", "submodule", "mode change", "Latin-1 path"]) {
    assert.ok(seen.has(kind), `the generated histories hold a ${kind}`);
  }
  assert.ok(checked >= SEEDS * 6, `checked ${checked} PR patches`);
  assert.ok(binaryEncoded > 0, "some text diffs had to travel as binary patches");
});
