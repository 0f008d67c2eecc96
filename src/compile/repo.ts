import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccError } from "../errors/acc-error.js";

/** Read-only access to a git repository at one commit, through the git CLI. */
export class RepoSnapshot {
  constructor(
    readonly path: string,
    readonly commit: string,
  ) {}

  /** The file's content at the commit, or undefined when it does not exist there or is not text. */
  read(file: string): string | undefined {
    const result = spawnSync("git", ["-C", this.path, "show", `${this.commit}:${file}`], { maxBuffer: 256 * 1024 * 1024 });
    if (result.status !== 0) return undefined;
    const bytes = result.stdout as Buffer;
    if (bytes.includes(0)) return undefined;
    return bytes.toString("utf8");
  }

  /** Files directly inside `directory` ("" for the root) at the commit, sorted. */
  listDirectory(directory: string): string[] {
    const spec = directory === "" ? this.commit : `${this.commit}:${directory}`;
    const result = spawnSync("git", ["-C", this.path, "ls-tree", "--name-only", spec], { encoding: "utf8" });
    if (result.status !== 0) return [];
    return result.stdout
      .split("\n")
      .filter((name) => name !== "")
      .map((name) => (directory === "" ? name : `${directory}/${name}`))
      .sort();
  }

  /**
   * The newest commit, from `ref` back through the history of the files `patch` touches (at most
   * `maxCommits` of them), whose tree `patch` applies to (`git apply --check` against a scratch
   * index): a base where the fix is not yet in. Undefined when there is none.
   */
  static baseFor(path: string, ref: string, patch: string, maxCommits = 200): string | undefined {
    const files = [...patch.matchAll(/^\+\+\+ b\/(\S+)|^--- a\/(\S+)/gm)].map((m) => m[1] ?? m[2]!);
    if (files.length === 0) return undefined;
    const log = spawnSync("git", ["-C", path, "log", "--format=%H", `-n${maxCommits}`, ref, "--", ...new Set(files)], { encoding: "utf8" });
    if (log.status !== 0) return undefined;
    const commits = log.stdout.split("\n").filter((line) => line !== "");
    // The tree at each commit that changed the files, then before the oldest of them.
    const candidates = commits.length > 0 ? [...commits, `${commits[commits.length - 1]}^`] : [ref];
    const scratch = mkdtempSync(join(tmpdir(), "acc-base-"));
    try {
      for (const candidate of candidates) {
        if (appliesAt(path, candidate, patch, join(scratch, "index"))) {
          const commit = spawnSync("git", ["-C", path, "rev-parse", "--verify", `${candidate}^{commit}`], { encoding: "utf8" });
          return commit.status === 0 ? commit.stdout.trim() : undefined;
        }
      }
      return undefined;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Resolves a ref (branch, tag, HEAD) to a commit id; throws with git's message when it cannot. */
  static open(path: string, ref: string): RepoSnapshot {
    const result = spawnSync("git", ["-C", path, "rev-parse", "--verify", `${ref}^{commit}`], { encoding: "utf8" });
    if (result.status !== 0) throw new AccError(`git repository ${path}: cannot resolve ${ref}: ${result.stderr.trim()}`, { code: "git" });
    return new RepoSnapshot(path, result.stdout.trim());
  }
}

/** True when `patch` (or its LF form, for patches logged with CRLF) applies to the tree of `commit`. */
function appliesAt(path: string, commit: string, patch: string, index: string): boolean {
  const env = { ...process.env, GIT_INDEX_FILE: index };
  if (spawnSync("git", ["-C", path, "read-tree", commit], { env }).status !== 0) return false;
  const forms = patch.includes("\r\n") ? [patch, patch.replaceAll("\r\n", "\n")] : [patch];
  return forms.some((form) => spawnSync("git", ["-C", path, "apply", "--check", "--cached", "-"], { env, input: form.trimStart() + (form.endsWith("\n") ? "" : "\n") }).status === 0);
}
