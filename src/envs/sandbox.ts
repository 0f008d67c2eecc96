import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, readdir, lstat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { killGroup } from "../run/process-group.js";
import { UsageError } from "../errors/acc-error.js";

/** Limits of one sandboxed command. */
export interface SandboxLimits {
  /** Wall-clock limit; the whole sandbox is killed at it. */
  timeoutMs: number;
  /** CPU seconds (RLIMIT_CPU) of each process. */
  cpuSeconds: number;
  /** Processes at once inside the sandbox (RLIMIT_NPROC): a fork bomb stops here. */
  maxProcesses: number;
  /** Largest file a command may write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /** Characters of output kept (head and tail). */
  maxOutputChars: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  timeoutMs: 30_000,
  cpuSeconds: 30,
  maxProcesses: 128,
  maxFileBytes: 64 * 1024 * 1024,
  maxOutputChars: 4_000,
};

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
}

/** The sandbox cannot run here: bubblewrap is missing or not allowed to create namespaces. */
export class SandboxUnavailable extends UsageError {
  override name = "SandboxUnavailable";
}

/** Commands run as this user when acc runs as root: root's process limit would not apply to them. */
export const SANDBOX_UID = 65534;

let problem: string | null | undefined;

/** Why sandboxed commands cannot run here, or undefined when they can (checked once). */
export function sandboxProblem(): string | undefined {
  if (problem === undefined) {
    const which = spawnSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" });
    if (which.status !== 0) {
      problem = "bubblewrap (bwrap) is not installed: run scripts/setup-system.sh, or apt-get install bubblewrap";
    } else {
      const probe = spawnSync(prefix()[0]!, [...prefix().slice(1), "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--", "true"], { encoding: "utf8", timeout: 10_000 });
      problem = probe.status === 0 ? null : `bubblewrap cannot create a sandbox here: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}`;
    }
  }
  return problem ?? undefined;
}

const isRoot = () => process.getuid?.() === 0;

/** As root, commands run as an unprivileged user; otherwise as the current user. */
function prefix(): string[] {
  return isRoot() ? ["setpriv", `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, "--clear-groups", "--", "bwrap"] : ["bwrap"];
}

/** Whether the sandbox user can read `path` (as root, commands run as another user). */
export function sandboxCanRead(path: string): boolean {
  if (!isRoot()) return true;
  const probe = spawnSync("setpriv", [`--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, "--clear-groups", "--", "test", "-r", path], { timeout: 10_000 });
  return probe.status === 0;
}

/**
 * Hands a folder to the sandbox user (as root) so sandboxed commands can write there and nowhere else.
 * Does nothing when acc is not root: the sandbox then runs as the current user, who owns the folder.
 */
export async function giveToSandbox(path: string): Promise<void> {
  if (!isRoot()) return;
  await chown(path, SANDBOX_UID, SANDBOX_UID);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) await giveToSandbox(join(path, entry));
}

/**
 * Runs `sh -c command` in a bubblewrap sandbox: the whole filesystem read-only, the home folders hidden,
 * `writable` the only place it can write (besides a private /tmp), no network (its own empty network
 * namespace), its own process, IPC and UTS namespaces, a clean environment, and rlimits on CPU time,
 * processes and file size. `readable` folders under a hidden home stay visible (a repository's .git).
 */
export function runSandboxed(
  command: string,
  options: { cwd: string; writable: string; readable?: string[]; env?: Record<string, string>; limits: SandboxLimits },
): Promise<SandboxResult> {
  const reason = sandboxProblem();
  if (reason) return Promise.reject(new SandboxUnavailable(reason));
  const { limits } = options;
  const hidden = [...new Set(["/root", "/home", homedir()])].filter((dir) => existsSync(dir));
  const args = [
    ...prefix().slice(1),
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--tmpfs", "/tmp",
    ...hidden.flatMap((dir) => ["--tmpfs", dir]),
    ...(options.readable ?? []).flatMap((dir) => ["--ro-bind", dir, dir]),
    "--bind", options.writable, options.writable,
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "--setenv", "HOME", "/tmp",
    "--setenv", "LANG", "C.UTF-8",
    "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
    ...Object.entries(options.env ?? {}).flatMap(([name, value]) => ["--setenv", name, value]),
    "--chdir", options.cwd,
    "--",
    "prlimit", `--nproc=${limits.maxProcesses}`, `--cpu=${limits.cpuSeconds}`, `--fsize=${limits.maxFileBytes}`, "--",
    "sh", "-c", command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(prefix()[0]!, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const output = new OutputKeeper(limits.maxOutputChars);
    child.stdout.on("data", (chunk: Buffer) => output.add(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.add(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, limits.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      killGroup(child.pid);
      resolve({ exitCode, signal, timedOut, output: output.text() });
    });
  });
}

/** Keeps the first and last halves of a command's output within a character budget. */
class OutputKeeper {
  private head = "";
  private tail = "";
  private dropped = 0;

  constructor(private readonly maxChars: number) {}

  add(chunk: Buffer): void {
    const text = chunk.toString("utf8");
    const half = Math.floor(this.maxChars / 2);
    if (this.head.length < half) {
      const take = text.slice(0, half - this.head.length);
      this.head += take;
      this.keepTail(text.slice(take.length), half);
    } else {
      this.keepTail(text, half);
    }
  }

  private keepTail(text: string, half: number): void {
    const joined = this.tail + text;
    if (joined.length > half) this.dropped += joined.length - half;
    this.tail = joined.slice(-half);
  }

  text(): string {
    return this.dropped > 0 ? `${this.head}\n[… ${this.dropped} characters of output not shown …]\n${this.tail}` : this.head + this.tail;
  }
}
