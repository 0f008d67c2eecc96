// The box without root: acc run by an unprivileged user sets up the same box in user namespaces of its own
// (the holder maps the user to root in its namespace to mount the tmpfs; commands run as uid 1000 in a
// namespace nested below it). Run as the user nobody when the tests run as root; skipped otherwise.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { tempDir } from "../helpers/collect.js";
import { calcRepo } from "../verify/calc-repo.js";
import { repositoryHash } from "./canary.js";

const NOBODY = 65534;
const asNobody = (command: string[]) => ["setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", ...command]] as const;

/** The child runs this checkout's code as nobody: every folder above it must let others in (a clone under `mktemp -d` does not). */
function unreadableByNobody(): string | undefined {
  const file = fileURLToPath(import.meta.resolve("tsx"));
  const [command, args] = asNobody(["test", "-r", file]);
  return spawnSync(command, args).status === 0 ? undefined : `the user nobody cannot read ${file}: a folder above this checkout is closed to other users; clone it under one they can enter to run this test`;
}

const skip = process.getuid?.() !== 0 ? "needs root to run a child as another user" : ((await sandboxProblem()) ?? unreadableByNobody() ?? false);

test("as an unprivileged user, the box holds the same: no host write, the process and disk limits, the patch and its reward", { skip }, () => {
  const { repo } = calcRepo();
  // the repository and a folder the user could write to, were it not boxed
  chmodSync(repo, 0o755);
  const open = tempDir("acc-unprivileged-");
  chmodSync(open, 0o777);
  const canaryFile = join(open, "pwned");
  const before = repositoryHash(repo);
  const [command, args] = asNobody([process.execPath, "--import", import.meta.resolve("tsx"), join(import.meta.dirname, "unprivileged-child.ts"), repo, canaryFile]);
  const child = spawnSync(command, args, { cwd: "/", encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" }, timeout: 120_000 });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout) as { problem?: string; seen: string[]; patch: string; reason: string };
  assert.equal(result.problem, undefined, result.problem);
  assert.match(result.seen[0]!, /^1000\n/, "commands run as the box's user");
  assert.match(result.seen[0]!, /No space left on device/);
  assert.match(result.seen[2]!, /^[1-9]\d*\n\[exit code 0\]$/, "the fork bomb met the process limit");
  assert.equal(existsSync(canaryFile), false, "the host folder the user could write to was not reached");
  assert.match(result.patch, /^\+add\(\) \{ echo \$\(\( \$1 \+ \$2 \)\); \}$/m);
  assert.equal(result.reason, "tests-passed");
  assert.equal(repositoryHash(repo), before);
});
