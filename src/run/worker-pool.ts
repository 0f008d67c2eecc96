import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { fromTransferable, type TransferredError } from "../errors/transfer.js";

/** What a worker posts back for a task: its result, or its error as data (rebuilt with its class and fields). */
export type WorkerReply<T> = { result: T; error?: undefined } | { error: TransferredError };

interface Job<T> {
  task: unknown;
  transfer: ArrayBuffer[];
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed set of worker threads running one module. Each worker answers a task message with one
 * WorkerReply; jobs queue while every worker is busy.
 */
export class WorkerPool<TResult> {
  private readonly idle: Worker[] = [];
  private readonly queue: Job<TResult>[] = [];
  private readonly running = new Map<Worker, Job<TResult>>();
  private failed: Error | undefined;

  /** `workerData` reaches every worker once, at start (e.g. a stage's setup). */
  constructor(moduleUrl: URL, size: number, workerData?: unknown) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker(moduleUrl, workerData);
      worker.on("message", (message: WorkerReply<TResult>) => this.settle(worker, message));
      worker.on("error", (error) => this.fail(error));
      this.idle.push(worker);
    }
  }

  run(task: unknown, transfer: ArrayBuffer[] = []): Promise<TResult> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.idle, ...this.running.keys()].map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.running.set(worker, job);
      worker.postMessage(job.task, job.transfer);
    }
  }

  private settle(worker: Worker, message: WorkerReply<TResult>): void {
    const job = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (message.error !== undefined) job?.reject(fromTransferable(message.error));
    else job?.resolve(message.result as TResult);
    this.dispatch();
  }

  private fail(error: Error): void {
    this.failed = error;
    for (const job of [...this.running.values(), ...this.queue]) job.reject(error);
    this.running.clear();
    this.queue.length = 0;
  }
}

/**
 * Built JavaScript starts directly. TypeScript sources (tests and benches) register their loader in the
 * worker first: on Node 20 the loader hooks of the parent thread do not reach a worker's entry. The loader
 * is the test runner's (scripts/ts-loader.mjs, which names itself in ACC_TS_LOADER) or tsx.
 */
function startWorker(moduleUrl: URL, workerData: unknown): Worker {
  if (!moduleUrl.pathname.endsWith(".ts")) return new Worker(moduleUrl, { workerData });
  const loader = process.env.ACC_TS_LOADER;
  const register = loader ? `import(${JSON.stringify(loader)})` : `import("tsx/esm/api").then((tsx) => tsx.register())`;
  return new Worker(`${register}.then(() => import(${JSON.stringify(moduleUrl.href)}))`, {
    eval: true,
    execArgv: [],
    workerData,
  });
}

/** The module URL of a sibling worker file, `.ts` when running from source and `.js` when built. */
export function siblingModule(metaUrl: string, name: string): URL {
  const extension = metaUrl.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${name}${extension}`, metaUrl);
}

/**
 * Maps `inputs` through `run` with up to `window` calls in flight and yields results in input order,
 * so parallel work still produces byte-identical output. `run` may answer at once (a value, not a
 * promise) for inputs that need no waiting; a throw counts as that input's failure, in its turn.
 */
export async function* orderedMap<T, R>(inputs: AsyncIterable<T>, run: (input: T) => R | Promise<R>, window: number): AsyncGenerator<R> {
  const inFlight: (R | Promise<R>)[] = [];
  for await (const input of inputs) {
    let result: R | Promise<R>;
    try {
      result = run(input);
    } catch (error) {
      result = Promise.reject(error as Error);
    }
    // awaited below in order; this only stops an unhandled-rejection warning
    if (result instanceof Promise) result.catch(() => {});
    inFlight.push(result);
    if (inFlight.length >= window) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

/** Worker threads a stage starts by default: one per core, up to the 2 cores we plan for. */
export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}
