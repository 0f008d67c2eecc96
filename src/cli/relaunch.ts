import { spawn } from "node:child_process";

/**
 * The young generation of the commands that keep hundreds of requests in flight. V8's default semi-space
 * (16 MiB) fills every few hundred requests, and each scavenge copies everything those requests still hold;
 * 64 MiB scavenges a quarter as often (docs/benchmarks.md#young-generation has the measurements).
 */
export const SEMI_SPACE_FLAG = "--max-semi-space-size=64";

/**
 * The commands relaunched with SEMI_SPACE_FLAG: long runs of many requests in flight. Not with --queue (the
 * producer hands records to workers and sends no request), nor `acc worker`: its first Ctrl-C finishes the
 * jobs it holds and a second hands them back, and a terminal's Ctrl-C reaching both processes would count twice.
 */
const MANY_REQUESTS = new Set(["eval", "teach", "rollout"]);

/** Set in the relaunched process's environment, to the parent's pid: it never relaunches itself again. */
const RELAUNCHED = "ACC_RELAUNCHED_FROM";

/** A semi-space size given by the user (NODE_OPTIONS or node's own flags), in either of V8's spellings. */
const OWN_SEMI_SPACE = /--(max[-_])?semi[-_]space[-_]size/;

/**
 * The node arguments that rerun this command with SEMI_SPACE_FLAG, or undefined to run it here: a command
 * of MANY_REQUESTS (not its --help, not a --queue producer) whose process has no semi-space size of the
 * user's and was not relaunched already.
 */
export function relaunchArgs(script: string, argv: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] | undefined {
  if (env[RELAUNCHED] !== undefined) return undefined;
  if (OWN_SEMI_SPACE.test(env.NODE_OPTIONS ?? "") || execArgv.some((arg) => OWN_SEMI_SPACE.test(arg))) return undefined;
  const end = argv.indexOf("--");
  const head = end === -1 ? argv : argv.slice(0, end);
  const command = head.find((arg) => !arg.startsWith("-"));
  if (command === undefined || !MANY_REQUESTS.has(command) || head.some((arg) => arg === "--help" || arg === "-h" || arg === "--queue" || arg.startsWith("--queue="))) return undefined;
  return [...execArgv, SEMI_SPACE_FLAG, script, ...argv];
}

/** Signals acc handles (src/cli/interrupt.ts): passed on to the relaunched process, which decides. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `node <args>` as this command, sharing stdin, stdout, stderr (a terminal stays a terminal) and the
 * process group; signals sent to this process are passed on, and this process ends as the other did: its
 * exit code, or killed by the same signal. Resolves false, having started nothing, when node cannot be
 * started (the command then runs here).
 */
export function relaunch(args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: "inherit", env: { ...process.env, [RELAUNCHED]: String(process.pid) } });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    child.once("error", () => resolve(false));
    child.once("spawn", () => {
      resolve(true);
      for (const signal of FORWARDED) process.on(signal, forward);
    });
    child.once("exit", (code, signal) => {
      for (const name of FORWARDED) process.off(name, forward);
      if (signal === null) process.exit(code ?? 1);
      process.kill(process.pid, signal);
    });
  });
}

/**
 * In a relaunched process: dies as its parent did when the parent is killed outright (kill -9, which it
 * cannot pass on), instead of running on unseen. Checks every 100 ms whether it has been handed to another
 * parent; the check does not keep the process alive.
 */
export function followParent(env: NodeJS.ProcessEnv): void {
  const parent = Number(env[RELAUNCHED]);
  if (!Number.isInteger(parent) || parent <= 0) return;
  // its own children (sandboxes, git, a nested acc) are not relaunched processes of this one
  delete env[RELAUNCHED];
  if (process.ppid !== parent) process.kill(process.pid, "SIGKILL");
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, "SIGKILL");
  }, 100).unref();
}
