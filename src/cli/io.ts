import { execFileSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { UsageError } from "../errors/acc-error.js";
import { describeSystemError } from "../errors/system-error.js";
import { STDIN } from "../io/stdin.js";

export { UsageError };

/** The streams a command talks to; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** What an input of `-` reads (default: process.stdin). */
  stdin?: Readable;
}

/** Input paths a command reads (`-` is stdin), which must exist: one wording for every command. */
export function existingInputs(paths: readonly string[], flag?: string): void {
  for (const path of paths) {
    if (path !== STDIN && !existsSync(path)) throw new UsageError(`${flag ? `${flag}: ` : ""}${path} does not exist`, { file: path, ...(flag ? { flag } : {}) });
  }
}

/** A path a flag names, which must exist. */
export function existingPath(value: unknown, flag: string): string {
  const path = String(value);
  if (!existsSync(path)) throw new UsageError(`${flag}: ${path} does not exist`, { flag, file: path });
  return path;
}

/** The text of the file a flag names. */
export function readText(value: unknown, flag: string): string {
  const path = String(value);
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const problem = describeSystemError(error)?.message ?? (error as Error).message;
    throw new UsageError(`${flag}: ${problem}`, { flag, file: path, cause: error });
  }
}

/** A git repository (work tree or bare) a flag names; anything else would be read as if it had no files. */
export function gitRepository(value: unknown, flag: string): string {
  const path = existingPath(value, flag);
  try {
    execFileSync("git", ["-C", path, "rev-parse", "--git-dir"], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const said = (error as { stderr?: Buffer }).stderr?.toString().trim().split("\n")[0];
    const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "git is not installed (not found on PATH)" : `not a git repository${said ? ` (git: ${said})` : ""}`;
    throw new UsageError(`${flag} ${path}: ${why}`, { flag, file: path, cause: error });
  }
  return path;
}

const SQLITE_HEADER = "SQLite format 3\0";

/** A SQLite file, or a folder of them, that a flag names. */
export function sqliteDatabase(value: unknown, flag: string): string {
  const path = existingPath(value, flag);
  if (statSync(path).isDirectory()) return path;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString("latin1") !== SQLITE_HEADER) throw new UsageError(`${flag} ${path}: not a SQLite database (or a folder of them)`, { flag, file: path });
  return path;
}
