import { parentPort } from "node:worker_threads";
import { type ChunkTask, processChunk } from "./chunk.js";

parentPort!.on("message", async (task: ChunkTask) => {
  try {
    const result = await processChunk(task);
    parentPort!.postMessage({ result }, [result.output.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ error: (error as Error).stack ?? String(error) });
  }
});
