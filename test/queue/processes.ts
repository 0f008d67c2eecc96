// What the queue tests share: the built acc run as separate processes, a real redis-server, acc status, and
// waiting for a condition. Everything started is stopped at the end of the file.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, before } from "node:test";
import { builtCli } from "../helpers/built-cli.js";
import { runCli } from "../helpers/collect.js";
import { REDIS_MISSING, type RedisServer, startRedis } from "../helpers/redis.js";

export interface Proc {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

let bin = "";
before(async () => {
  if (!REDIS_MISSING) bin = (await builtCli()).bin;
});

/** Runs at the end of the file, after the processes it started are gone. */
export function atEnd(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

/** The built acc as a separate process (killed at the end of the file if still running). */
export function acc(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(join(bin, "acc"), args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stderr }));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  return { child, exited };
}

export async function redis(): Promise<RedisServer> {
  const server = await startRedis();
  cleanups.push(() => server.stop());
  return server;
}

/** The queue's numbers, from acc status --json. */
export async function status(queue: string): Promise<Record<string, number | null>> {
  const result = await runCli(["status", "--queue", queue, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, number | null>;
}

export async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > 60_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
