export { Box, type BoxOptions, checkReadOnly, type ExecOptions, type ExecResult, type RunResult, SandboxUnavailable } from "./box.js";
export { SandboxGitError, resolveCommit, sourceGitDir } from "./git.js";
export { DEFAULT_SANDBOX_LIMITS, memoryLimitReached, type SandboxLimits } from "./limits.js";
export { requireSandbox, sandboxMemory, sandboxProblem } from "./probe.js";
export { type Snapshot, SandboxTreeError, TreeStore } from "./tree.js";
export { type SandboxSettings, Workspace } from "./workspace.js";
