// Rollout tasks from SWE-bench instances: the stages.jsonl `acc mine` writes (and SWE-bench's own files)
// run in the repo environment as they are, their test patch applied before the tests.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { RepoEnvironment } from "../../src/envs/index.js";
import { DEFAULT_SANDBOX_LIMITS, sandboxProblem } from "../../src/run/sandbox/index.js";
import { readTasks } from "../../src/rollout/tasks.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { buildScenario } from "../mine/scenario.js";
import { readJsonl } from "../view/fixtures.js";

interface Stage {
  instance_id: string;
  problem_statement: string;
  base_commit: string;
  test_patch: string;
}

const skip = (await sandboxProblem()) ?? false;

describe("rollout tasks from mined stages", { skip }, () => {
  let repo = "";
  let stagesFile = "";
  let stages: Stage[] = [];
  const sandbox = { limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 8_000 }, readOnly: [], unsafe: false };

  before(async () => {
    repo = buildScenario().repo.dir;
    const out = join(tempDir("acc-rollout-stages-"), "mine");
    const mined = await runCli(["mine", repo, "-o", out, "-q"]);
    assert.equal(mined.code, 0, mined.stderr);
    stagesFile = join(out, "stages.jsonl");
    stages = readJsonl<Stage>(stagesFile);
    assert.ok(stages.length >= 3);
  });

  it("without a test command every stage is refused, each with its line and the fix", async () => {
    const env = await RepoEnvironment.create({ repo, sandbox, testTimeoutMs: 10_000, maxChars: 2_000, jobs: 1 });
    await assert.rejects(readTasks(stagesFile, env), (error: Error) => {
      const lines = error.message.split("\n");
      assert.equal(lines.length, Math.min(stages.length, 20));
      for (const [i, line] of lines.entries()) assert.match(line, new RegExp(`stages\\.jsonl line ${i + 1}: task ".+": a repo task needs test_command \\(or give rollout --test-cmd\\)`));
      return true;
    });
  });

  it("with --test-cmd each stage is a task: its id, statement and base; the test patch and the files it touches", async () => {
    const env = await RepoEnvironment.create({ repo, sandbox, testTimeoutMs: 10_000, maxChars: 2_000, jobs: 1, testCommand: "sh tests/calc_test.sh" });
    const tasks = await readTasks(stagesFile, env);
    assert.equal(tasks.length, stages.length);
    for (const [i, task] of tasks.entries()) {
      const stage = stages[i]!;
      assert.equal(task.id, stage.instance_id);
      assert.equal(task.question, stage.problem_statement);
      assert.equal(task.base_commit, stage.base_commit);
      assert.equal(task.test_command, undefined, "the environment's --test-cmd applies");
      assert.equal(task.meta?.source, "swe-bench-instance");
      if (stage.test_patch === "") {
        assert.equal(task.test_patch, undefined);
        continue;
      }
      assert.equal(task.test_patch, stage.test_patch);
      const headers = stage.test_patch.split("\n").filter((line) => line.startsWith("diff --git "));
      assert.deepEqual(
        task.test_files,
        [...new Set(headers.flatMap((h) => h.slice("diff --git ".length).split(" ").map((side) => side.slice(2))))],
      );
    }
    assert.ok(tasks.some((t) => t.test_patch !== undefined), "a stage with tests");
  });
});
