/** SIGKILLs the process group led by `pid` (a child spawned `detached`), if it is still there. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}
