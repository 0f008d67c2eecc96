import { AccError } from "../errors/acc-error.js";
import type { ErrorCode } from "../errors/codes.js";

/**
 * The errors `acc mine` expects to meet: a folder that is not a repository, an empty or damaged one, a git
 * command that failed. Each message is one line naming the problem; `fix` says what to do about it. The
 * CLI's error boundary prints both on one line, without a stack trace (exit 1: the work failed).
 */
export class MineError extends AccError {
  override name = "MineError";
}

/**
 * The repository argument cannot be mined as it is: not a repository, no commits, a shallow or partial
 * clone, a ref that names no commit (exit 2: the command line names something unusable).
 */
export class RepositoryError extends MineError {
  override name = "RepositoryError";
  protected override defaultCode(): ErrorCode {
    return "usage";
  }
}

/** A git command that failed: names the command, the repository and what git said (last lines, on one line). */
export class GitError extends MineError {
  override name = "GitError";
  constructor(
    readonly command: string,
    readonly repo: string,
    readonly gitExitCode: number | null,
    readonly stderr: string,
  ) {
    const said = stderr.trim().split("\n").map((line) => line.trim()).filter(Boolean).slice(-3).join(" | ");
    super(`\`${command}\` failed in ${repo} (exit ${gitExitCode ?? "signal"})${said ? `: ${said}` : ""}`, { code: "git", ...corruptionFix(stderr) });
  }
}

/** git's words for a damaged object store; the fix is to find out what is damaged. */
const CORRUPT = /\b(corrupt|inflate|bad object|unable to read|loose object .* is corrupt|packfile .* cannot be accessed|invalid object|missing blob|missing tree|fatal: failed to read object)\b/i;

function corruptionFix(stderr: string): { fix?: string } {
  return CORRUPT.test(stderr) ? { fix: "the repository's object store is damaged: run `git fsck --full` in it, or mine a fresh clone" } : {};
}
