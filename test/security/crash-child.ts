// Run by crash.test.ts and killed with SIGKILL in the middle of its work: a repo episode's tool call, a
// patch test run, or a SQL statement; or (mode "launch") killed a given number of milliseconds after it
// started a box's command, while the command's launch is still under way. Prints "running" when the long step starts (the test then waits
// for its processes to show).
import { RepoEnvironment, SqlEnvironment } from "../../src/envs/index.js";
import { Box, DEFAULT_SANDBOX_LIMITS } from "../../src/run/sandbox/index.js";
import { PatchTester } from "../../src/verify/patch.js";
import { GOLD } from "../verify/calc-repo.js";

const [mode, path, base] = process.argv.slice(2) as [string, string, string];
const sandbox = { limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 60_000 }, readOnly: [], unsafe: false };
const running = () => process.stdout.write("running\n");

if (mode === "repo") {
  const env = await RepoEnvironment.create({ repo: path, sandbox, testTimeoutMs: 60_000, maxChars: 1_000, jobs: 1 });
  const session = await env.open({ id: "crash", question: "crash", base_commit: base, test_command: "true" });
  running();
  await session.call("bash", { command: "sleep 50 & setsid sleep 51 & sleep 52" });
} else if (mode === "verify") {
  const tester = await PatchTester.create({ repo: path, testCommand: "sleep 50 & sleep 51", sandbox, jobs: 1 });
  running();
  await tester.verify(base, GOLD);
} else if (mode === "launch") {
  const [delayMs, marker] = [Number(path), base];
  const box = await Box.open({ limits: sandbox.limits });
  void box.run(`sleep 50; : ${marker}`);
  if (delayMs === 0) process.kill(process.pid, "SIGKILL");
  setTimeout(() => process.kill(process.pid, "SIGKILL"), delayMs);
} else {
  const env = new SqlEnvironment({ db: path, timeoutMs: 60_000, maxRows: 1, maxChars: 100, processes: 1, memoryBytes: 256 * 1024 * 1024 });
  const session = await env.open({ id: "crash", question: "crash", gold_sql: "SELECT 1" });
  // the process is up once a first statement is answered; the second one never ends
  await session.call("run_sql", { sql: "SELECT 1" });
  const endless = session.call("run_sql", { sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" });
  setTimeout(running, 500);
  await endless;
}
