// git as acc runs it on the host: never on a tree an agent touched, never with a configuration or an
// environment anyone else chose. The repository is named by GIT_DIR (no discovery from a folder), no system
// or global configuration is read, hooks, fsmonitor and every protocol are off, no replace objects, no lazy
// fetches, no optional locks, and nothing of acc's own environment reaches it but PATH.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { dirname, resolve } from "node:path";
import { AccError } from "../../errors/acc-error.js";
import type { ErrorCode } from "../../errors/codes.js";

/** A git command acc ran failed (a missing commit, an unreadable repository). */
export class SandboxGitError extends AccError {
  protected override defaultCode(): ErrorCode {
    return "git";
  }
  override name = "SandboxGitError";
}

/** Configuration that outranks any the repository has (command-line configuration comes last). */
const SAFE_CONFIG = [
  "core.hooksPath=/dev/null",
  "core.fsmonitor=false",
  "core.untrackedCache=false",
  "core.attributesFile=/dev/null",
  "core.excludesFile=/dev/null",
  "protocol.allow=never",
  "gc.auto=0",
  "maintenance.auto=false",
  // the repositories acc reads belong to whoever made them; this configuration is what makes that safe
  "safe.directory=*",
].flatMap((setting) => ["-c", setting]);

/** The environment git runs with: GIT_DIR when given, and nothing from acc's own but PATH. */
export function gitEnvironment(gitDir?: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...(gitDir !== undefined ? { GIT_DIR: gitDir } : {}),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_NO_REPLACE_OBJECTS: "1",
    GIT_NO_LAZY_FETCH: "1",
    GIT_OPTIONAL_LOCKS: "0",
    HOME: "/nonexistent",
    LC_ALL: "C",
  };
}

export interface GitOptions {
  input?: string | Buffer;
  maxBuffer?: number;
  /** A command git runs under (nsenter into the mount namespace where `gitDir` is). */
  prefix?: readonly string[];
}

/** Runs git on the repository at `gitDir`; its stdout, or a SandboxGitError with its first line of stderr. */
export function git(gitDir: string, args: readonly string[], options: GitOptions = {}): Promise<Buffer> {
  const [file, ...prefix] = [...(options.prefix ?? []), "git"];
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      file!,
      [...prefix, ...SAFE_CONFIG, ...args],
      { cwd: "/", env: gitEnvironment(gitDir), encoding: "buffer", maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new SandboxGitError(`git ${args[0]}: ${firstLine(stderr.toString("utf8")) || error.message}`));
        else resolvePromise(stdout);
      },
    );
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(options.input);
  });
}

/** Starts git with its stdin and stdout as streams (fast-import, archive). */
export function spawnGit(gitDir: string, args: readonly string[], prefix: readonly string[] = []): ChildProcess {
  const [file, ...rest] = [...prefix, "git"];
  return spawn(file!, [...rest, ...SAFE_CONFIG, ...args], { cwd: "/", env: gitEnvironment(gitDir), stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * The git folder holding the objects of the repository at `repo` (a work tree, a bare repository or a linked
 * worktree). Discovery stops at `repo` itself: a folder that is not a repository is not taken for an
 * enclosing one.
 */
export async function sourceGitDir(repo: string): Promise<string> {
  const path = resolve(repo);
  return new Promise((resolvePromise, reject) => {
    execFile(
      "git",
      [...SAFE_CONFIG, "-C", path, "rev-parse", "--path-format=absolute", "--git-common-dir"],
      { cwd: "/", env: { ...gitEnvironment(), GIT_CEILING_DIRECTORIES: dirname(path) }, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) reject(new SandboxGitError(`${repo} is not a git repository (${firstLine(stderr) || error.message})`));
        else resolvePromise(stdout.trim());
      },
    );
  });
}

/** The commit `revision` names in the repository, in full; a SandboxGitError when it names none. */
export async function resolveCommit(gitDir: string, revision: string): Promise<string> {
  if (revision.startsWith("-") || revision.includes("\0")) throw new SandboxGitError(`${JSON.stringify(revision)} is not a revision`);
  return (await git(gitDir, ["rev-parse", "--verify", "--quiet", `${revision}^{commit}`]).catch(() => {
    throw new SandboxGitError(`${JSON.stringify(revision)} is not a commit`);
  }))
    .toString("utf8")
    .trim();
}

export function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}
