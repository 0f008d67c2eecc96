import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { trackCreatedDir } from "./cleanup.js";

/**
 * `mkdir -p` that fails instead of spinning: Node's recursive mkdir (libuv) loops forever when a parent
 * exists but cannot hold children (a path under /proc or /sys, a dangling symlink). Each missing folder
 * is created on its own, so a refusal is reported with the path, and the created folders are tracked
 * (a failed run removes them again when empty; see cleanup.ts).
 */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw error;
    });
    if (info?.isDirectory()) break;
    if (info) throw new UsageError(`cannot create the folder ${path}: ${dir} is a file, not a folder`, { code: "not-a-folder" });
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && (await stat(dir)).isDirectory()) continue;
      if (code === "ENOENT") {
        throw new UsageError(`cannot create the folder ${dir}: ${dirname(dir)} does not take new folders (a special file system such as /proc?)`, { code: "not-writable" });
      }
      throw error;
    }
    trackCreatedDir(dir);
  }
}
