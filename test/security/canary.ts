// Canaries on the host that a hostile agent, repository or test command would touch if it got out of its
// box: a folder with a secret file (and nothing else), a TCP port, an abstract and a path unix socket, an
// environment variable of acc's process, the source repository's bytes (objects, refs, config, worktree
// list, work tree) and the temporary folders acc may leave. check() names whatever changed. While the
// canary is up, TMPDIR is a folder of its own (children inherit it), so folders other tests or other
// programs leave in the machine's temporary folder are not taken for acc's.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boxProcessesAfterExit } from "../helpers/sandbox.js";

export const SECRET = "canary-secret-7f3a9c";
export const ENV_SECRET = "ACC_CANARY_ENV_SECRET";

export class Canary {
  readonly dir: string;
  readonly secretFile: string;
  readonly socketPath: string;
  readonly abstractName: string;
  port = 0;
  connections = 0;
  /** The temporary folder of acc (and of the test) while the canary is up. */
  readonly tmp: string;
  private readonly servers: Server[] = [];
  private readonly tmpdirBefore = process.env.TMPDIR;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "acc-canary-"));
    this.tmp = mkdtempSync(join(tmpdir(), "acc-canary-tmp-"));
    this.secretFile = join(this.dir, "secret.txt");
    writeFileSync(this.secretFile, `${SECRET}\n`, { mode: 0o644 });
    this.socketPath = join(this.dir, "host.sock");
    this.abstractName = `acc-canary-${process.pid}`;
    process.env[ENV_SECRET] = SECRET;
  }

  async start(): Promise<this> {
    const listen = (target: number | string) =>
      new Promise<Server>((resolve) => {
        const server = createServer((socket) => {
          this.connections++;
          socket.destroy();
        });
        this.servers.push(server);
        if (typeof target === "number") server.listen(target, "127.0.0.1", () => resolve(server));
        else server.listen(target, () => resolve(server));
      });
    const tcp = await listen(0);
    this.port = (tcp.address() as { port: number }).port;
    await listen(this.socketPath);
    await listen(`\0${this.abstractName}`);
    process.env.TMPDIR = this.tmp;
    return this;
  }

  /** Placeholders in an attack's text: {CANARY}, {SECRET_FILE}, {PORT}, {SOCKET}, {ABSTRACT}. */
  fill(text: string): string {
    return text
      .replaceAll("{CANARY}", this.dir)
      .replaceAll("{SECRET_FILE}", this.secretFile)
      .replaceAll("{PORT}", String(this.port))
      .replaceAll("{SOCKET}", this.socketPath)
      .replaceAll("{ABSTRACT}", this.abstractName);
  }

  /** Asserts the host saw nothing: the canary folder as made, no connection, no box process left. */
  async check(what: string): Promise<void> {
    assert.deepEqual(readdirSync(this.dir).sort(), ["host.sock", "secret.txt"], `${what}: nothing was created in the canary folder`);
    assert.equal(readFileSync(this.secretFile, "utf8"), `${SECRET}\n`, `${what}: the secret file is unchanged`);
    const info = statSync(this.secretFile);
    assert.deepEqual([info.uid, info.mode & 0o7777], [process.getuid?.() ?? info.uid, 0o644], `${what}: the secret file's owner and mode are unchanged`);
    assert.equal(this.connections, 0, `${what}: no connection reached the host's TCP port or unix sockets`);
    assert.equal(await boxProcessesAfterExit(), 0, `${what}: no box process is left`);
  }

  /** Asserts acc left no temporary folder of its own (acc-box-*, acc-stdin-*, acc-base-*) since start(). */
  checkTemporaryFolders(what: string): void {
    const left = readdirSync(this.tmp).filter((name) => /^acc-(box|stdin|base)-/.test(name));
    assert.deepEqual(left, [], `${what}: no temporary folder is left`);
  }

  async close(): Promise<void> {
    delete process.env[ENV_SECRET];
    if (this.tmpdirBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = this.tmpdirBefore;
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/**
 * A hash of everything in a repository folder, .git included (objects, refs, config, hooks, index,
 * worktree registrations) and the worktree list as git reports it.
 */
export function repositoryHash(repo: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const info = lstatSync(path);
      hash.update(`${path}\0${info.mode}\0${info.uid}\0`);
      if (info.isSymbolicLink()) hash.update(readlinkSync(path));
      else if (info.isDirectory()) walk(path);
      else if (info.isFile()) hash.update(readFileSync(path));
    }
  };
  walk(repo);
  return hash.digest("hex");
}
