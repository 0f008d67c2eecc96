// Run by unprivileged.test.ts as an unprivileged user: one repo episode in a box that acc, without root,
// sets up in user namespaces of its own. Prints what the agent saw and the outcome as JSON.
import { RepoEnvironment } from "../../src/envs/index.js";
import { sandboxProblem } from "../../src/run/sandbox/index.js";
import { ATTACK_SANDBOX } from "./limits.js";

const [repo, canaryFile] = process.argv.slice(2) as [string, string];
const problem = await sandboxProblem();
if (problem) {
  process.stdout.write(JSON.stringify({ problem }));
} else {
  const env = await RepoEnvironment.create({ repo, sandbox: ATTACK_SANDBOX, testTimeoutMs: 10_000, maxChars: 2_000, jobs: 1 });
  const session = await env.open({ id: "u", question: "u", base_commit: "HEAD", test_command: "sh test.sh" });
  const seen = [
    await session.call("bash", { command: `id -u; echo pwned > ${canaryFile}; head -c 100000000 /dev/zero > big; rm -f big` }),
    await session.call("bash", { command: "bomb() { bomb | bomb & }; bomb 2> /tmp/bomb.log; sleep 1" }),
    await session.call("bash", { command: "grep -c 'Cannot fork' /tmp/bomb.log" }),
    await session.call("edit", { path: "calc/lib.sh", old_str: "add() { echo $(( $1 - $2", new_str: "add() { echo $(( $1 + $2" }),
    await session.call("edit", { path: "calc/lib.sh", old_str: "0 + $1", new_str: "0 - $1" }),
  ];
  const submitted = await session.call("submit", {});
  const outcome = await session.reward({ answer: submitted.submitted ?? "" });
  await session.close();
  process.stdout.write(JSON.stringify({ seen: seen.map((r) => r.content), patch: submitted.submitted, reason: outcome.reason }));
}
