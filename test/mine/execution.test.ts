import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { validateStage } from "../../src/mine/execution.js";
import { mineRepository } from "../../src/mine/run.js";
import { DEFAULT_SANDBOX_LIMITS, sandboxProblem } from "../../src/run/sandbox/index.js";
import { FixtureRepo } from "./fixture-repo.js";

/** c0: greet() and its test; #1 adds shout() and its test; #2 (follow-up to #1) makes shout louder. */
function shellRepo() {
  const repo = new FixtureRepo();
  repo.write("src/lib.sh", "greet() { echo hi; }\n").write("tests/greet.sh", '. ./src/lib.sh\n[ "$(greet)" = hi ]\n');
  repo.commit("Initial commit");
  repo.write("src/lib.sh", "greet() { echo hi; }\nshout() { echo HI; }\n").write("tests/shout.sh", '. ./src/lib.sh\n[ "$(shout)" = HI ]\n');
  repo.commit("Add a shout command (#1)");
  repo.write("src/lib.sh", "greet() { echo hi; }\nshout() { echo 'HI!'; }\n").write("tests/shout.sh", '. ./src/lib.sh\n[ "$(shout)" = "HI!" ]\n');
  repo.commit("Make shout louder (#2)\n\nFollow-up to #1.");
  return repo;
}

const skip = (await sandboxProblem()) ?? false;
const sandbox = { limits: DEFAULT_SANDBOX_LIMITS, readOnly: [], unsafe: false };

const RUN_SCRIPTS = 'for t in tests/*.sh; do if sh "$t" >/dev/null 2>&1; then echo "ok - $t"; else echo "not ok - $t"; fi; done';

test("--test-cmd fills FAIL_TO_PASS and PASS_TO_PASS from runs before and after the gold patch, in the sandbox: offline and without history", { skip }, async () => {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const probe = `${process.execPath} -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(1)).on('error', () => process.exit(0))"`;
  const command = [
    RUN_SCRIPTS,
    `if ${probe}; then echo "ok - network-blocked"; else echo "not ok - network-blocked"; fi`,
    'if [ -e .git ]; then echo "not ok - no-history"; else echo "ok - no-history"; fi',
    'echo "ok - files:$ACC_TEST_FILES"',
  ].join("\n");
  try {
    const repo = shellRepo();
    const result = await mineRepository({ repo: repo.dir, testCommand: command, testTimeoutSeconds: 60 });
    assert.deepEqual(result.chains.map((c) => c.stages.map((s) => s.pr)), [[1, 2]]);
    const always = ["files:tests/shout.sh", "network-blocked", "no-history", "tests/greet.sh"];
    for (const stage of result.stages) {
      assert.deepEqual(JSON.parse(stage.FAIL_TO_PASS), ["tests/shout.sh"], stage.instance_id);
      assert.deepEqual(JSON.parse(stage.PASS_TO_PASS), always, stage.instance_id);
      assert.deepEqual(stage.validation!.before.failed, ["tests/shout.sh"]);
      assert.equal(stage.validation!.network_isolated, true);
      assert.equal(stage.validation!.command, command);
    }
    assert.deepEqual([result.stats.validatedStages, result.stats.stagesWithFailToPass], [2, 2]);
  } finally {
    server.close();
  }
});

test("a test run over the time limit is killed with everything it started and reported as timed out", { skip }, async () => {
  const repo = shellRepo();
  const base = repo.git(["rev-parse", "HEAD~1"]).trim();
  const started = Date.now();
  const validation = await validateStage({
    repo: repo.dir,
    base,
    patch: "",
    testPatch: "",
    testFiles: [],
    command: "echo 'ok - early'; (sleep 30 &); sleep 30; echo 'ok - late'",
    timeoutSeconds: 1,
    sandbox,
  });
  assert.ok(Date.now() - started < 15_000, "did not wait for the sleeps");
  assert.deepEqual(validation.before, { exit_code: null, timed_out: true, passed: ["early"], failed: [] });
  assert.deepEqual(validation.FAIL_TO_PASS, []);
  assert.deepEqual(validation.PASS_TO_PASS, ["early"]);
});

test("a patch that does not apply is an error naming git apply and the base", { skip }, async () => {
  const repo = shellRepo();
  const base = repo.git(["rev-parse", "HEAD~2"]).trim();
  const patch = "diff --git a/src/lib.sh b/src/lib.sh\n--- a/src/lib.sh\n+++ b/src/lib.sh\n@@ -1 +1 @@\n-nothing like this\n+x\n";
  await assert.rejects(
    validateStage({ repo: repo.dir, base, patch, testPatch: "", testFiles: [], command: "true", timeoutSeconds: 5, sandbox }),
    /`git apply --binary --whitespace=nowarn -` failed on the tree of [0-9a-f]{40} in the box: error: patch failed: src\/lib\.sh:1/,
  );
});
