/** What one box (an episode's worktree, a test run) may use; each has a flag (docs/security.md lists them). */
export interface SandboxLimits {
  /** Wall-clock limit of one command in the box (a tool call, a test run's command); the whole box's processes are killed at it. */
  timeoutMs: number;
  /** Processes at once inside the box (RLIMIT_NPROC in the box's own user namespace): a fork bomb stops here. */
  processes: number;
  /**
   * Memory of the box: its processes and files together, in its memory cgroup where the machine has a usable
   * one; and each process's own limit (RLIMIT_DATA: heap and private mappings; address-space reservations do not count).
   */
  memoryBytes: number;
  /** Size of the box's filesystem (the worktree, /tmp and /dev/shm together): a size-limited tmpfs. */
  diskBytes: number;
  /** Files and folders the box's filesystem may hold (the tmpfs's inode limit). */
  files: number;
  /** Bytes of output one command may print before it is stopped. */
  outputBytes: number;
  /** Characters of a command's output kept (its first and last halves). */
  outputChars: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  timeoutMs: 30_000,
  processes: 256,
  memoryBytes: 2048 * MIB,
  diskBytes: 1024 * MIB,
  files: 100_000,
  outputBytes: 16 * MIB,
  outputChars: 4_000,
};

/** Why a command failed when the kernel killed one of the box's processes at the box's memory limit (its cgroup). */
export function memoryLimitReached(limits: SandboxLimits): string {
  return `the box's processes together reached its memory limit (${Math.round(limits.memoryBytes / MIB)} MiB, --sandbox-memory) and the kernel killed one`;
}
