import { readdirSync, readFileSync } from "node:fs";
import { BOX_UIDS } from "../../src/run/sandbox/box.js";

/**
 * Processes running as the user of a box that the process `owner` made (as root, a box's uid carries its
 * maker's pid, so boxes of test files running alongside are not counted; as another user, boxes run as
 * that user: 0 is reported).
 */
export function boxProcesses(owner = process.pid): number {
  if (process.getuid?.() !== 0) return 0;
  let found = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
      if (uid >= BOX_UIDS && Math.floor((uid - BOX_UIDS) / 512) === owner) found++;
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Box processes left once the kernel has had 2 s to reap a killed box's (its pid namespace dies asynchronously). */
export async function boxProcessesAfterExit(): Promise<number> {
  let left = boxProcesses();
  for (let i = 0; i < 20 && left > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = boxProcesses();
  }
  return left;
}
