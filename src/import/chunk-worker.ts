import { serveTasks } from "../run/worker-serve.js";
import { type ChunkTask, processChunk } from "./chunk.js";

serveTasks((task: ChunkTask) => processChunk(task), (result) => [result.output.buffer as ArrayBuffer]);
