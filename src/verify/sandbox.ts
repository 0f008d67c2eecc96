import { spawn, spawnSync } from "node:child_process";
import { killGroup } from "../run/process-group.js";

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The last bytes of stdout and stderr, interleaved as they came. */
  outputTail: string;
}

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  /** Run in a new user and network namespace (`unshare -rn`): only a loopback interface that is down. */
  isolateNetwork: boolean;
}

const OUTPUT_TAIL_BYTES = 16 * 1024;
/** Environment variables that look like credentials never reach a command built from model output. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH/i;

let unshareWorks: boolean | undefined;

/** Whether `unshare -rn` works here (unprivileged user namespaces allowed); checked once. */
export function canIsolateNetwork(): boolean {
  unshareWorks ??= spawnSync("unshare", ["-rn", "true"], { stdio: "ignore", timeout: 10_000 }).status === 0;
  return unshareWorks;
}

export function commandEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !SECRET_NAME.test(name)));
}

/**
 * Runs `sh -c command` in its own process group, killed as a whole (SIGKILL) at the time limit, with
 * credential-like variables removed from its environment.
 */
export function runCommand(command: string, options: RunOptions): Promise<CommandResult> {
  const [file, args] = options.isolateNetwork ? ["unshare", ["-rn", "sh", "-c", command]] : ["sh", ["-c", command]];
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, args as string[], { cwd: options.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: commandEnvironment() });
    let tail = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > OUTPUT_TAIL_BYTES) tail = tail.subarray(tail.length - OUTPUT_TAIL_BYTES);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", () => {
      clearTimeout(timer);
      // background processes the command left behind (holding its output open) go with it
      killGroup(child.pid);
    });
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal, timedOut, outputTail: tail.toString("utf8") }));
  });
}
