import { parentPort } from "node:worker_threads";
import { toTransferable } from "../errors/transfer.js";
import { type ChunkTask, processChunk } from "./chunk.js";

parentPort!.on("message", async (task: ChunkTask) => {
  try {
    const result = await processChunk(task);
    parentPort!.postMessage({ result }, [result.output.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ error: toTransferable(error) });
  }
});
