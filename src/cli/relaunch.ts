import { spawn } from "node:child_process";

/**
 * The young generation of the commands that keep hundreds of requests in flight. V8's default semi-space
 * (16 MiB) fills every few hundred requests, and each scavenge copies everything those requests still hold;
 * 64 MiB scavenges a quarter as often (docs/benchmarks.md#young-generation has the measurements).
 */
export const SEMI_SPACE_FLAG = "--max-semi-space-size=64";

/**
 * The young generation of `acc mine`: a short batch run whose garbage dies young. Every page a process
 * touches first costs a page fault (about 12 µs each on the 2-core development machine), and 16 MiB
 * semi-spaces grew the heap by pages touched once; 8 MiB ones keep fewer pages for the same work
 * (docs/commands/mine.md, Performance).
 */
export const MINE_SEMI_SPACE_FLAG = "--max-semi-space-size=8";

/**
 * glibc's malloc asks for transparent huge pages (where the kernel gives them on request, "madvise"): one
 * fault maps 2 MiB instead of 4 KiB. A mine allocates and frees buffers of git's output, patches and JSON
 * by the megabyte; this took about a quarter of its page faults away. Other C libraries ignore it.
 */
const HUGE_PAGE_MALLOC = "glibc.malloc.hugetlb=1";

/** Per relaunched command: the semi-space flag its node gets, and whether glibc's malloc uses huge pages. */
const RELAUNCHED_COMMANDS: Record<string, { flag: string; hugePages: boolean }> = {
  // Long runs of many requests in flight. Not with --queue (the producer hands records to workers and sends
  // no request), nor `acc worker`: its first Ctrl-C finishes the jobs it holds and a second hands them back,
  // and a terminal's Ctrl-C reaching both processes would count twice.
  eval: { flag: SEMI_SPACE_FLAG, hugePages: false },
  teach: { flag: SEMI_SPACE_FLAG, hugePages: false },
  rollout: { flag: SEMI_SPACE_FLAG, hugePages: false },
  // Not `acc mine snapshot` (one git clone).
  mine: { flag: MINE_SEMI_SPACE_FLAG, hugePages: true },
};

/** Set in the relaunched process's environment, to the parent's pid: it never relaunches itself again. */
const RELAUNCHED = "ACC_RELAUNCHED_FROM";

/** A semi-space size given by the user (NODE_OPTIONS or node's own flags), in either of V8's spellings. */
const OWN_SEMI_SPACE = /--(max[-_])?semi[-_]space[-_]size/;

/** How to rerun a command: node's arguments, and the variables its environment adds. */
export interface Relaunch {
  args: string[];
  env: Record<string, string>;
}

/**
 * How to rerun this command in a node of its own settings, or undefined to run it here: a command of
 * RELAUNCHED_COMMANDS (not its --help, not a --queue producer, not `mine snapshot`) whose process has no
 * semi-space size of the user's and was not relaunched already. A GLIBC_TUNABLES of the user's that sets
 * glibc.malloc.hugetlb is kept as it is.
 */
export function relaunchArgs(script: string, argv: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): Relaunch | undefined {
  if (env[RELAUNCHED] !== undefined) return undefined;
  if (OWN_SEMI_SPACE.test(env.NODE_OPTIONS ?? "") || execArgv.some((arg) => OWN_SEMI_SPACE.test(arg))) return undefined;
  const end = argv.indexOf("--");
  const head = end === -1 ? argv : argv.slice(0, end);
  const [command, subcommand] = head.filter((arg) => !arg.startsWith("-"));
  const settings = command === undefined ? undefined : RELAUNCHED_COMMANDS[command];
  if (settings === undefined || head.some((arg) => arg === "--help" || arg === "-h" || arg === "--queue" || arg.startsWith("--queue="))) return undefined;
  if (command === "mine" && subcommand === "snapshot") return undefined;
  const tunables = env.GLIBC_TUNABLES ?? "";
  const hugePages = settings.hugePages && !tunables.includes("glibc.malloc.hugetlb");
  return {
    args: [...execArgv, settings.flag, script, ...argv],
    env: { [RELAUNCHED]: String(process.pid), ...(hugePages ? { GLIBC_TUNABLES: tunables === "" ? HUGE_PAGE_MALLOC : `${tunables}:${HUGE_PAGE_MALLOC}` } : {}) },
  };
}

/** Signals acc handles (src/cli/interrupt.ts): passed on to the relaunched process, which decides. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `node <args>` as this command, sharing stdin, stdout, stderr (a terminal stays a terminal) and the
 * process group; signals sent to this process are passed on, and this process ends as the other did: its
 * exit code, or killed by the same signal. Resolves false, having started nothing, when node cannot be
 * started (the command then runs here).
 */
export function relaunch({ args, env }: Relaunch): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: "inherit", env: { ...process.env, ...env } });
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
