export * from "./records/index.js";
export * from "./io/index.js";
export type * from "./formats/types.js";
export { importers, importerFor } from "./formats/registry.js";
export { finishTrajectory, trajectoryId } from "./formats/common/finish.js";
export { inferDomain } from "./formats/domain.js";
export { importTrajectories, type ImportEvent, type ImportOptions } from "./import/run.js";
export { importToFiles, type ImportRunOptions } from "./import/write.js";
export { ImportStats } from "./import/stats.js";
