import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../errors/acc-error.js";
import { trackCreatedDir } from "./cleanup.js";

/**
 * `mkdir -p` (of the folder of `forFile`, when given, which names it in errors) that fails instead of spinning: Node's recursive mkdir (libuv) loops forever when a parent
 * exists but cannot hold children (a path under /proc or /sys, a dangling symlink). Each missing folder
 * is created on its own, so a refusal is reported with the path, and the created folders are tracked
 * (a failed run removes them again when empty; see cleanup.ts). Returns the folders it created, outermost first.
 */
export async function makeDirectory(path: string, forFile?: string): Promise<string[]> {
  const what = forFile === undefined ? `cannot create the folder ${path}` : `cannot write ${forFile}`;
  const fix = "choose another output path";
  const missing: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw error;
    });
    if (info?.isDirectory()) break;
    if (info) throw new UsageError(`${what}: ${dir} is not a folder`, { code: "not-a-folder", fix });
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
        throw new UsageError(`${what}: ${dirname(dir)} does not take new folders (a special file system such as /proc?)`, { code: "not-writable", fix });
      }
      throw error;
    }
    trackCreatedDir(dir);
  }
  return missing;
}
