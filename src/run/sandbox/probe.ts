import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { Box, SandboxUnavailable } from "./box.js";
import { memoryCgroup } from "./cgroup.js";
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from "./limits.js";

/** The programs the box needs: bubblewrap, util-linux's namespace tools, tar and git. */
const TOOLS: [command: string, pkg: string][] = [
  ["bwrap", "bubblewrap"],
  ["unshare", "util-linux"],
  ["nsenter", "util-linux"],
  ["setpriv", "util-linux"],
  ["prlimit", "util-linux"],
  ["tar", "tar"],
  ["git", "git"],
];

let checked: Promise<string | undefined> | undefined;

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why boxes cannot run here (the tool that is missing and how to install it), or undefined when they can. Checked once, by starting one. */
export function sandboxProblem(): Promise<string | undefined> {
  checked ??= check();
  return checked;
}

async function check(): Promise<string | undefined> {
  if (process.platform !== "linux") return `the sandbox needs Linux (bubblewrap and namespaces); this is ${process.platform}`;
  const missing = TOOLS.filter(([command]) => !onPath(command));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(" ");
    const names = missing.map(([command]) => (command === "bwrap" ? "bubblewrap (bwrap)" : command)).join(", ");
    return `${names} not installed: apt-get install ${packages} (or run scripts/setup-system.sh)`;
  }
  let box: Box | undefined;
  try {
    box = await Box.open({ limits: { ...DEFAULT_SANDBOX_LIMITS, diskBytes: 1024 * 1024, files: 64 } });
    const probe = await box.exec(["true"], { timeoutMs: 20_000 });
    if (probe.exitCode !== 0) return `bubblewrap cannot start a sandbox here: ${probe.stderr.trim() || (probe.timedOut ? "it did not start within 20 s" : `exit ${probe.exitCode ?? probe.signal}`)}`;
    return undefined;
  } catch (error) {
    return error instanceof SandboxUnavailable ? error.message : `the sandbox cannot start here: ${(error as Error).message}`;
  } finally {
    await box?.close();
  }
}

/** Throws SandboxUnavailable naming `what` needs the sandbox, why it cannot run, and the way out, unless `unsafe`. */
export async function requireSandbox(what: string, unsafe: boolean): Promise<void> {
  if (unsafe) return;
  const problem = await sandboxProblem();
  if (problem) throw new SandboxUnavailable(`${what} runs untrusted code and needs the sandbox: ${problem}`, { fix: "to run it unconfined on this machine anyway, pass --unsafe-no-sandbox" });
}

/** How boxes limit memory on this machine: a cgroup per box (the processes together), or each process on its own, and why. */
export async function sandboxMemory(limits: SandboxLimits): Promise<string> {
  const detection = await memoryCgroup();
  const mib = `${Math.round(limits.memoryBytes / 2 ** 20)} MiB (--sandbox-memory)`;
  return detection.found
    ? `memory: a cgroup v${detection.found.version} group per box below ${detection.found.dir}, its processes together at most ${mib}`
    : `memory: each process at most ${mib}, RLIMIT_DATA; no usable memory cgroup (${detection.reason})`;
}
