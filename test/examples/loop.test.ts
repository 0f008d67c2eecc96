// examples/loop/run.ts end to end, run as README.md and docs/loop.md show it (the docs' examples test leaves
// it to this one): every stage's output is checked against what the stage before it wrote, counted from the
// raw files (and the repository's own history), not from acc's summaries.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, test } from "node:test";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { STAGES } from "../../examples/loop/run.js";
import { tempDir } from "../helpers/collect.js";
import { markdownFiles, shellExamples } from "../helpers/doc-examples.js";
import { sh } from "../helpers/shell.js";
import { readJsonl } from "../view/fixtures.js";

const ROOT = join(import.meta.dirname, "../..");
/** The loop's command line in the docs; test/docs/examples.test.ts does not run it again. */
const LOOP_COMMAND = "npx tsx examples/loop/run.ts out/loop";

const skip = (await sandboxProblem()) ?? false;

/** Runs a shell command line in the checkout, as a reader of the docs would. */
const run = (command: string) => sh(command, ROOT, process.env, 600_000);

test("README.md and docs/loop.md show the loop's command line this test runs", () => {
  for (const doc of ["README.md", "docs/loop.md"]) {
    const file = markdownFiles().find((path) => path.endsWith(`/${doc}`))!;
    assert.ok(shellExamples(file).some((example) => example.command === LOOP_COMMAND), `${doc} shows ${LOOP_COMMAND}`);
  }
});

describe("the loop example", { skip }, () => {
  it("mine → rollout → import → compile → export → eval → view, offline, each stage reading the one before", async () => {
    const out = join(tempDir("acc-loop-"), "loop");
    const loop = await run(LOOP_COMMAND.replace(/ out\/loop$/, ` ${out}`));
    assert.equal(loop.code, 0, loop.stderr);
    const dir = Object.fromEntries([...STAGES, "view"].map((stage) => [stage, join(out, stage)])) as Record<(typeof STAGES)[number] | "view", string>;
    const commands = loop.stdout.split("\n");
    assert.deepEqual(
      commands.filter((c) => c.startsWith("$ acc ")).map((c) => c.split(" ")[2]),
      ["mine", "rollout", "import", "compile", "export", "eval", "eval", "eval", "eval", "view"],
    );

    // mine: one stage per PR of the history (squash commits "(#N)"), each with a test patch and the test command it was validated with
    const subjects = execFileSync("git", ["-C", join(out, "textstats"), "log", "--format=%s"], { encoding: "utf8" }).trim().split("\n");
    const prs = subjects.filter((s) => /\(#\d+\)$/.test(s)).length;
    const stages = readJsonl<{ instance_id: string; test_patch: string; patch: string; validation: { command: string } }>(join(dir.mine, "stages.jsonl"));
    assert.equal(stages.length, prs);
    for (const s of stages) assert.ok(s.test_patch !== "" && s.validation.command.includes("unittest"), s.instance_id);

    // rollout: a group of 2 per stage; an episode passes exactly when its submitted patch holds the gold patch's changes
    const episodes = readJsonl<{ task_id: string; reward: number; in_loss: boolean }>(join(dir.rollout, "episodes.jsonl"));
    assert.equal(episodes.length, stages.length * 2);
    const trajectories = readJsonl<{ id: string; final: { answer: string | null } }>(join(dir.rollout, "trajectories.jsonl"));
    assert.equal(trajectories.length, episodes.length);
    // the scripted agent fixes in the first episode of a group only: every group has one pass and one failure
    for (const s of stages) assert.deepEqual(episodes.filter((e) => e.task_id === s.instance_id).map((e) => e.reward).sort(), [0, 1], s.instance_id);

    // import: every rollout trajectory, none rejected
    assert.equal(readJsonl(join(dir.import, "trajectories.jsonl")).length, trajectories.length);

    // compile → export: every sample becomes one training row
    const samples = readJsonl<{ id: string; meta: { trajectory_id: string } }>(join(dir.compile, "samples.jsonl"));
    assert.ok(samples.length >= 1, "at least one sample");
    const rejects = readJsonl<{ trajectory_id: string; reason: string }>(join(dir.compile, "rejects.jsonl"));
    assert.equal(samples.length + rejects.length, trajectories.length);
    // samples come from passing episodes only; every failed one is rejected as such
    const episodeIds = readJsonl<{ id: string; reward: number }>(join(dir.rollout, "episodes.jsonl"));
    const failed = new Set(episodeIds.filter((e) => e.reward === 0).map((e) => e.id));
    for (const s of samples) assert.ok(trajectories.some((t) => t.id === s.meta.trajectory_id) && !failed.has(s.meta.trajectory_id), s.meta.trajectory_id);
    assert.deepEqual(rejects.filter((r) => r.reason === "failed-outcome").map((r) => r.trajectory_id).sort(), [...failed].sort());
    assert.equal(readJsonl(join(dir.export, "train.jsonl")).length, samples.length);

    // eval: every generated item graded; the scripted answers are right on every other item
    for (const kind of ["mrcr", "graphwalks"] as const) {
      const items = readJsonl(join(out, `${kind}-items.jsonl`));
      const results = readJsonl<{ score: number }>(join(dir[`eval-${kind}`], "results.jsonl"));
      assert.equal(results.length, items.length);
      const right = results.filter((r) => r.score === 1).length;
      // MRCR's wrong answers lack the prefix (score 0); a GraphWalks answer of one node can be whole by chance
      if (kind === "mrcr") assert.equal(right, Math.ceil(items.length / 2));
      else assert.ok(right >= Math.ceil(items.length / 2) && right < items.length, `${kind}: ${right}/${items.length}`);
    }

    // view: one site listing every stage's records, with a page per episode
    const index = readFileSync(join(dir.view, "index.html"), "utf8");
    for (const file of ["stages.jsonl", "episodes.jsonl", "samples.jsonl", "results.jsonl"]) assert.match(index, new RegExp(file.replace(".", "\\.")));
    assert.ok(existsSync(join(dir.view, "site", "records", "episode")));
  });
});
