import { workerData } from "node:worker_threads";
import { serveTasks } from "../run/worker-serve.js";
import type { Trajectory } from "../records/trajectory.js";
import { BatchCompiler, type CompileSetup } from "./batch.js";
import { loadSqlParser } from "./sql-tables.js";
import { loadPromptTokenizer } from "./tokenizer.js";

const setup = workerData as CompileSetup;
await loadSqlParser();
const compiler = new BatchCompiler(setup, await loadPromptTokenizer(setup.tokenizer));

serveTasks((trajectories: Trajectory[]) => compiler.run(trajectories));
