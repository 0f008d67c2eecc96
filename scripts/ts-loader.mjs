// `node --import ./scripts/ts-loader.mjs file.ts`: runs the TypeScript sources through scripts/ts-hooks.mjs
// (what scripts/run-tests.mjs gives every test process instead of tsx), with source-mapped stack traces.
// It names itself in ACC_TS_LOADER, so the worker threads and child processes that run TypeScript sources
// (src/run/worker-pool.ts, src/run/sqlite-process.ts, tests' own children) start with it too.
import { register } from "node:module";

process.env.ACC_TS_LOADER = import.meta.url;
process.setSourceMapsEnabled(true);
register("./ts-hooks.mjs", import.meta.url);
