import { parentPort } from "node:worker_threads";
import { toTransferable } from "../errors/transfer.js";
import type { WorkerReply } from "./worker-pool.js";

/**
 * The worker side of WorkerPool: answers each task with its result, or with its error as data (never a
 * bare string: the pool rebuilds the error with its class, code, fix and system fields). `transfer` names
 * the result's buffers to move rather than copy. Every worker module answers through this, so none can
 * post an error the pool cannot read (lint enforces it).
 */
export function serveTasks<T, R>(handle: (task: T) => R | Promise<R>, transfer: (result: R) => ArrayBuffer[] = () => []): void {
  parentPort!.on("message", async (task: T) => {
    let reply: WorkerReply<R>;
    let moved: ArrayBuffer[] = [];
    try {
      const result = await handle(task);
      reply = { result };
      moved = transfer(result);
    } catch (error) {
      reply = { error: toTransferable(error) };
    }
    // eslint-disable-next-line no-restricted-syntax -- the one place a worker answers
    parentPort!.postMessage(reply, moved);
  });
}
