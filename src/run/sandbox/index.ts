export { Box, type BoxOptions, checkReadOnly, type ExecOptions, type ExecResult, type RunResult, SandboxUnavailable } from "./box.js";
export { GitError, resolveCommit, sourceGitDir } from "./git.js";
export { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from "./limits.js";
export { requireSandbox, sandboxProblem } from "./probe.js";
export { type Snapshot, SnapshotError, TreeStore } from "./tree.js";
export { type SandboxSettings, Workspace } from "./workspace.js";
