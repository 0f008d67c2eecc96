import { spawnSync } from "node:child_process";

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

  /** Resolves a ref (branch, tag, HEAD) to a commit id; throws with git's message when it cannot. */
  static open(path: string, ref: string): RepoSnapshot {
    const result = spawnSync("git", ["-C", path, "rev-parse", "--verify", `${ref}^{commit}`], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`git repository ${path}: cannot resolve ${ref}: ${result.stderr.trim()}`);
    return new RepoSnapshot(path, result.stdout.trim());
  }
}
