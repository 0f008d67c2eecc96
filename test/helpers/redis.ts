import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why queue tests skip: set when redis-server is not installed (scripts/setup-system.sh installs it). */
export const REDIS_MISSING = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0 ? undefined : "redis-server is not installed (run scripts/setup-system.sh, or apt-get install redis-server)";

/** A real redis-server on a free loopback port, AOF on (every write fsynced), in its own temporary folder. */
export interface RedisServer {
  url: string;
  port: number;
  /** The server's process id (for benches reading its CPU time). */
  pid(): number | undefined;
  /** Stops the server (SIGKILL: no final save, so only what the AOF holds survives) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "acc-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no", "--loglevel", "notice"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    // redis-server logs this line once it has read its AOF back and listens
    const ready = new Promise<void>((resolve) =>
      child!.stdout!.on("data", (chunk: Buffer) => {
        log += chunk.toString("utf8");
        if (log.includes("Ready to accept connections")) resolve();
      }),
    );
    child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString("utf8")));
    const exited = once(child, "exit").then(() => {
      throw new Error(`redis-server exited while starting: ${log}`);
    });
    await Promise.race([ready.then(() => ping(port)), exited]);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGKILL");
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    pid: () => child?.pid,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nobody listens on now (the kernel's pick for an ephemeral listener, closed again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** Sends PING and checks the answer is PONG. */
async function ping(port: number): Promise<void> {
  const socket = createConnection({ port, host: "127.0.0.1" });
  try {
    await once(socket, "connect");
    socket.write("PING\r\n");
    const [data] = (await once(socket, "data")) as [Buffer];
    if (!data.toString("utf8").startsWith("+PONG")) throw new Error(`redis-server answered PING with ${data.toString("utf8").trim()}`);
  } finally {
    socket.destroy();
  }
}
