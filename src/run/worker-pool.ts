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
 * How much `orderedMap` takes on at once: `running` calls not yet settled, and `held` inputs started and
 * not yet yielded (running, or settled and waiting for those before them). With `weight`, the inputs held
 * beyond `running` also keep the total weight held within `maxWeight` (up to `running` are always taken).
 */
export interface OrderedWindow<T> {
  running: number;
  held: number;
  weight?: (input: T) => number;
  maxWeight?: number;
}

interface Held<R> {
  result: R | Promise<R>;
  weight: number;
  settled: boolean;
}

/**
 * Maps `inputs` through `run` and yields results in input order, so parallel work still produces
 * byte-identical output. A number as `window` runs that many calls at once and holds no more: a slow call
 * at the head then stops new ones once those behind it are done. An OrderedWindow holds more than it runs,
 * so calls keep starting while the head's result is awaited, within `held` and the weight. `run` may answer
 * at once (a value, not a promise) for inputs that need no waiting; a throw counts as that input's failure,
 * in its turn.
 */
export async function* orderedMap<T, R>(inputs: AsyncIterable<T>, run: (input: T) => R | Promise<R>, window: number | OrderedWindow<T>): AsyncGenerator<R> {
  const limits: OrderedWindow<T> = typeof window === "number" ? { running: window, held: window } : window;
  // invariant: a window takes at least one input, and holds every call it runs
  if (!(limits.running >= 1 && limits.held >= limits.running)) throw new Error(`orderedMap: a window runs at least 1 call and holds at least as many (got ${limits.running} and ${limits.held})`);
  const maxWeight = limits.maxWeight ?? Infinity;
  const iterator = inputs[Symbol.asyncIterator]();
  // held[first..] are the inputs started and not yet yielded, in input order
  let held: Held<R>[] = [];
  let first = 0;
  let running = 0;
  let heldWeight = 0;
  /** An input read and not yet started, with its weight: more than the window has room for now. */
  let waiting: { input: T; weight: number } | undefined;
  let exhausted = false;
  let wake: (() => void) | undefined;
  const start = (input: T, weight: number) => {
    let result: R | Promise<R>;
    try {
      result = run(input);
    } catch (error) {
      result = Promise.reject(error as Error);
    }
    const entry: Held<R> = { result, weight, settled: !(result instanceof Promise) };
    if (result instanceof Promise) {
      running++;
      // also marks a rejection as handled: it is awaited below, in its turn
      const settle = () => {
        entry.settled = true;
        running--;
        const woken = wake;
        wake = undefined;
        woken?.();
      };
      result.then(settle, settle);
    }
    held.push(entry);
    heldWeight += weight;
  };
  try {
    for (;;) {
      while (!exhausted && running < limits.running && held.length - first < limits.held) {
        if (waiting === undefined) {
          const next = await iterator.next();
          if (next.done) {
            exhausted = true;
            break;
          }
          waiting = { input: next.value, weight: limits.weight?.(next.value) ?? 0 };
        }
        // the weight bounds what is held beyond the calls running: never fewer than `running` are held
        if (held.length - first >= limits.running && heldWeight + waiting.weight > maxWeight) break;
        start(waiting.input, waiting.weight);
        waiting = undefined;
      }
      if (held.length === first) {
        if (exhausted) return;
        continue;
      }
      const head = held[first]!;
      if (head.settled) {
        first++;
        heldWeight -= head.weight;
        if (first > 1024 && first * 2 > held.length) {
          held = held.slice(first);
          first = 0;
        }
        yield await head.result;
        continue;
      }
      // nothing to yield and nothing to start: until a call settles
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}

/** Worker threads a stage starts by default: one per core, up to the 2 cores we plan for. */
export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}
