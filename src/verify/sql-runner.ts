import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { QueryMessage, QueryReply } from "./sql-child.js";

export type QueryOutcome =
  | { ok: true; columns: string[]; rows: unknown[][] }
  | { ok: false; code: "sql-error" | "not-a-query" | "result-too-large" | "sql-timeout"; message: string };

interface Job {
  db: string;
  sql: string;
  timeoutMs: number;
  resolve: (outcome: QueryOutcome) => void;
}

interface Slot {
  child: ChildProcess;
  /** The child has loaded and said so: a query's time limit starts only then. */
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

/** Rows a result may have before the query is refused (a runaway join must not exhaust memory). */
export const MAX_RESULT_ROWS = 1_000_000;

/**
 * Runs read-only SQLite queries in child processes, `size` at once, each with a time limit: a query
 * still running at its limit has its process killed (SIGKILL) and a fresh one takes its place.
 * Databases are opened read-only and kept open per child. Processes start at the first query.
 */
export class SqlRunner {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly size = 1) {}

  query(db: string, sql: string, timeoutMs: number): Promise<QueryOutcome> {
    if (this.closed) return Promise.reject(new Error("the SQL runner is closed"));
    return new Promise((resolve) => {
      this.queue.push({ db, sql, timeoutMs, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ ok: false, code: "sql-error", message: "the SQL runner was closed" });
    await Promise.all(this.slots.splice(0).map((slot) => stop(slot.child)));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === undefined);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      this.start(slot, this.queue.shift()!);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { child: startChild(), ready: false };
    slot.child.on("message", (reply: QueryReply | "ready") => {
      if (reply === "ready") {
        slot.ready = true;
        if (slot.job) this.send(slot, slot.job);
        return;
      }
      this.finish(slot, reply);
    });
    slot.child.on("exit", (code, signal) => {
      this.remove(slot);
      if (slot.job) this.finish(slot, { ok: false, code: "sql-error", message: `the query process died (${signal ?? `exit ${code}`})` });
    });
    this.slots.push(slot);
    return slot;
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job;
    hold(slot.child, true);
    if (slot.ready) this.send(slot, job);
  }

  private send(slot: Slot, job: Job): void {
    slot.timer = setTimeout(() => {
      this.remove(slot);
      slot.child.kill("SIGKILL");
      this.finish(slot, { ok: false, code: "sql-timeout", message: `still running after ${job.timeoutMs} ms` });
    }, job.timeoutMs);
    const message: QueryMessage = { db: job.db, sql: job.sql, maxRows: MAX_RESULT_ROWS };
    slot.child.send(message);
  }

  private finish(slot: Slot, outcome: QueryOutcome): void {
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

/** The child module runs as built JavaScript, or under tsx when the sources run as TypeScript (tests). */
function startChild(): ChildProcess {
  const url = new URL(import.meta.url.endsWith(".ts") ? "./sql-child.ts" : "./sql-child.js", import.meta.url);
  const execArgv = url.pathname.endsWith(".ts") ? ["--import", import.meta.resolve("tsx")] : [];
  const child = fork(fileURLToPath(url), [], { execArgv, serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
  hold(child, false);
  return child;
}

/** An idle child (process and IPC channel) does not keep the parent alive; a busy one does. */
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
  hold(child, true);
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
