import { type ChildProcess, fork, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SqlReply, SqlRequest } from "./sqlite-child.js";

export type { SqlReply, TableDescription } from "./sqlite-child.js";

/** What a request to the SQLite processes gives back: the child's reply, a timeout, or a process that died. */
export type SqlOutcome = SqlReply | { id: number; ok: false; code: "sql-timeout" | "process-died"; message: string };

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
export type SqlJob = WithoutId<SqlRequest>;

interface Job {
  request: SqlJob;
  timeoutMs: number;
  resolve: (outcome: SqlOutcome) => void;
}

interface Slot {
  child: ChildProcess;
  /** The process has started and can take a statement. */
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

/** Memory a SQLite process may use (its writable private memory, RLIMIT_DATA) unless told otherwise. */
export const DEFAULT_SQL_MEMORY_BYTES = 1024 * 1024 * 1024;

/**
 * The largest result (its values together, strings by their length) a SQLite process sends back: a quarter
 * of its memory. In the process, one value is capped by SQLite's length limit (better-sqlite3 sets 2^29 − 24
 * bytes) and by the memory limit; this bounds the copy that crosses into acc's own heap.
 */
export const resultBytesOf = (memoryBytes: number) => Math.floor(memoryBytes / 4);

/**
 * Child processes running read-only SQLite statements (sqlite-child.ts), `size` at once. A statement's time
 * limit counts from when its process is up; a statement still running at its limit has its process killed
 * (SIGKILL) and a fresh process takes the next one. Processes start when statements wait for them. Each
 * process runs under a memory limit (`memoryBytes`, RLIMIT_DATA): a statement that needs more fails with
 * an out-of-memory error, or its process dies and the next statement gets a fresh one. A result larger
 * than resultBytesOf(memoryBytes) is refused in the process (`result-too-large`).
 */
export class SqliteProcesses {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  /** Exits of processes killed at a time limit: close() waits for them too. */
  private readonly killed = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly memoryBytes = DEFAULT_SQL_MEMORY_BYTES,
  ) {}

  run(request: SqlJob, timeoutMs: number): Promise<SqlOutcome> {
    // invariant: nothing queries after close(); a call that does is a bug
    if (this.closed) return Promise.reject(new Error("the SQLite processes are closed"));
    return new Promise((resolve) => {
      this.queue.push({ request, timeoutMs, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ id: 0, ok: false, code: "process-died", message: "the SQLite processes were closed" });
    await Promise.all([...this.slots.splice(0).map((slot) => stop(slot.child)), ...this.killed]);
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && s.job === undefined);
      if (!slot) {
        // a process still starting takes the next statement when it is up
        if (this.slots.length < this.size && !this.slots.some((s) => !s.ready)) this.spawn();
        return;
      }
      this.start(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { child: startChild(this.memoryBytes), ready: false };
    slot.child.on("message", (reply: SqlReply | { ready: true }) => {
      if ("ready" in reply) {
        slot.ready = true;
        hold(slot.child, false);
        this.dispatch();
      } else this.finish(slot, reply);
    });
    slot.child.on("exit", (code, signal) => {
      this.remove(slot);
      const how = `${signal ?? `exit ${code}`}; a statement that needs more than ${Math.round(this.memoryBytes / 2 ** 20)} MiB of memory ends this way`;
      if (slot.job) this.finish(slot, { id: 0, ok: false, code: "process-died", message: `the SQLite process died (${how})` });
      else if (!slot.ready) {
        // it never came up: another try would fail the same way
        for (const job of this.queue.splice(0)) job.resolve({ id: 0, ok: false, code: "process-died", message: `the SQLite process did not start (${how})` });
      }
    });
    this.slots.push(slot);
    return slot;
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job;
    hold(slot.child, true);
    slot.timer = setTimeout(() => {
      this.remove(slot);
      this.finish(slot, { id: 0, ok: false, code: "sql-timeout", message: `the statement ran past ${job.timeoutMs} ms and was stopped` });
      // after finish(), which unreferences the process: stop() holds it until its exit arrives
      const exited = stop(slot.child);
      this.killed.add(exited);
      void exited.then(() => this.killed.delete(exited));
    }, job.timeoutMs);
    slot.child.send({ id: 0, ...job.request });
  }

  private finish(slot: Slot, outcome: SqlOutcome): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    hold(slot.child, false);
    job.resolve(outcome);
    this.dispatch();
  }

  private remove(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
  }
}

let wrappersWork: boolean | undefined;

/**
 * The child runs as built JavaScript, or under the TypeScript loader of the sources (the test runner's,
 * ACC_TS_LOADER, or tsx) when they run as TypeScript (tests, benches),
 * started through setpriv with acc's death signal (a child busy in a statement never sees its parent go)
 * and prlimit with its memory limit (RLIMIT_DATA counts only memory written to, so V8's and
 * WebAssembly's large address reservations do not trip it, unlike RLIMIT_AS).
 */
function startChild(memoryBytes: number): ChildProcess {
  const url = new URL(import.meta.url.endsWith(".ts") ? "./sqlite-child.ts" : "./sqlite-child.js", import.meta.url);
  const nodeArgs = url.pathname.endsWith(".ts") ? ["--import", process.env.ACC_TS_LOADER ?? import.meta.resolve("tsx")] : [];
  wrappersWork ??= ["setpriv", "prlimit"].every((tool) => spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0);
  const limited = wrappersWork
    ? { execPath: "setpriv", execArgv: ["--pdeathsig", "SIGKILL", "--", "prlimit", `--data=${memoryBytes}`, "--core=0", "--", process.execPath, ...nodeArgs] }
    : { execArgv: nodeArgs };
  // a process is only started for a waiting statement: it keeps the parent alive until it is up
  return fork(fileURLToPath(url), [String(resultBytesOf(memoryBytes))], { ...limited, serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
}

/** An idle child does not keep the parent alive; a busy one does. */
function hold(child: ChildProcess, busy: boolean): void {
  if (busy) {
    child.ref();
    child.channel?.ref();
  } else {
    child.unref();
    child.channel?.unref();
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // an idle process is unreferenced: without this the parent could end before its exit arrives
    child.ref();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
