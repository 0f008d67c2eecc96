import { parentPort, workerData } from "node:worker_threads";
import { toTransferable } from "../errors/transfer.js";
import type { Trajectory } from "../records/trajectory.js";
import { BatchCompiler, type CompileSetup } from "./batch.js";
import { loadSqlParser } from "./sql-tables.js";
import { loadPromptTokenizer } from "./tokenizer.js";

const setup = workerData as CompileSetup;
await loadSqlParser();
const compiler = new BatchCompiler(setup, await loadPromptTokenizer(setup.tokenizer));

parentPort!.on("message", (trajectories: Trajectory[]) => {
  try {
    parentPort!.postMessage({ result: compiler.run(trajectories) });
  } catch (error) {
    parentPort!.postMessage({ error: toTransferable(error) });
  }
});
