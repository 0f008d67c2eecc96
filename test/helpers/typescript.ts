/**
 * Node's flags that run a TypeScript file as this test process runs its own: under the test runner's loader
 * (scripts/ts-loader.mjs, which names itself in ACC_TS_LOADER), or tsx when the file was run with tsx.
 */
export const RUN_TYPESCRIPT = ["--import", process.env.ACC_TS_LOADER ?? import.meta.resolve("tsx")];
