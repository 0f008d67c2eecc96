import type { ExitCode } from "./acc-error.js";

/** A failed system call as Node reports it (fs, child_process, net). */
export interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

const PROBLEMS: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EEXIST: "already exists",
  ENOTEMPTY: "folder is not empty",
  ENAMETOOLONG: "name too long",
  ELOOP: "too many symbolic links",
  EINVAL: "invalid argument for this kind of file",
  ENXIO: "no such device (a FIFO without a reader?)",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "input/output error",
  EFBIG: "file too large",
};

const FIXES: Record<string, string> = {
  ENOSPC: "free some space and run the command again",
  EDQUOT: "free some space and run the command again",
  EMFILE: "raise the limit (ulimit -n) or lower --workers/--concurrency",
  ENFILE: "raise the limit (ulimit -n) or lower --workers/--concurrency",
  EACCES: "check the permissions, or choose another path",
  EPERM: "check the permissions, or choose another path",
  EROFS: "choose a path on a writable file system",
};

/** Problems with a path the user chose (fixed by choosing another): exit 2. Resources running out: exit 1. */
const PATH_PROBLEMS = new Set(["ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM", "EROFS", "EEXIST", "ENOTEMPTY", "ENAMETOOLONG", "ELOOP", "EINVAL", "ENXIO"]);

/** The error with `path` set when the system call did not say which file it was about (reads on a handle). */
export function withPath(error: unknown, path: string): unknown {
  if (isSystemError(error) && error.path === undefined) error.path = path;
  return error;
}

export function isSystemError(value: unknown): value is SystemError {
  return value instanceof Error && typeof (value as SystemError).code === "string" && /^E[A-Z0-9]+$/.test((value as SystemError).code) && ("syscall" in value || "path" in value || "errno" in value);
}

/**
 * One line for a failed system call, naming the path: "cannot write out/x.jsonl: permission denied",
 * "cannot run git: not installed (not found on PATH)". Undefined for errors that are not system errors.
 */
export function describeSystemError(error: unknown): { message: string; fix?: string; exitCode: ExitCode } | undefined {
  if (!isSystemError(error)) return undefined;
  const problem = PROBLEMS[error.code] ?? error.code;
  const syscall = error.syscall ?? "";
  const fix = FIXES[error.code];
  const exitCode: ExitCode = PATH_PROBLEMS.has(error.code) ? 2 : 1;
  const withFix = (message: string) => (fix === undefined ? { message, exitCode } : { message, fix, exitCode });
  if (syscall.startsWith("spawn")) {
    const program = error.path ?? syscall.slice("spawn ".length);
    return withFix(error.code === "ENOENT" ? `cannot run ${program}: not installed (not found on PATH)` : `cannot run ${program}: ${problem}`);
  }
  if (error.path === undefined) return withFix(`${syscall ? `${syscall} failed` : "a system call failed"}: ${problem}`);
  const target = error.dest !== undefined ? `${error.path} → ${error.dest}` : error.path;
  return withFix(`cannot ${VERBS[syscall] ?? "use"} ${target}: ${problem}`);
}

const VERBS: Record<string, string> = {
  open: "open",
  read: "read",
  write: "write",
  mkdir: "create the folder",
  rename: "move",
  unlink: "remove",
  rmdir: "remove",
  rm: "remove",
  scandir: "list",
  opendir: "list",
  stat: "access",
  lstat: "access",
  access: "access",
  copyfile: "copy",
  ftruncate: "write",
  fsync: "write",
  realpath: "resolve",
  symlink: "link",
  link: "link",
};
