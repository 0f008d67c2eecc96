import { spawn } from "node:child_process";

export interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sh -c command` in `cwd` (killed past `timeoutMs`); resolves with its exit code and output. */
export function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
