import { readFile, realpath, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { GitError, RepositoryError } from "./errors.js";
import { Git } from "./git.js";

/** What acc checked about a repository before mining it. */
export interface RepositoryFacts {
  /** Absolute path of the repository as given (work tree or bare). */
  path: string;
  gitDir: string;
  /** Top of the work tree; null for a bare repository. */
  workTree: string | null;
  /** The commit to mine. */
  tip: string;
  /** Commits whose parents a shallow clone leaves out (0 when the history is complete). */
  shallowBoundary: number;
}

/**
 * Opens `path` for mining and refuses, with what to do, what cannot be mined faithfully: a missing path or a
 * file, a folder that is not a repository (or is only inside one), a repository without commits, a ref that
 * names no commit, a partial clone (its missing objects would be fetched from the network), and a shallow
 * clone unless `allowShallow` (then the cut is reported in `shallowBoundary`).
 */
export async function openRepository(path: string, ref: string, allowShallow: boolean): Promise<RepositoryFacts> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new RepositoryError(`${absolute} does not exist`, { fix: "pass the folder of a git clone" });
  if (!info.isDirectory()) throw new RepositoryError(`${absolute} is a file, not a repository`, { fix: "pass the folder of a git clone" });
  const git = new Git(absolute);
  let top: string[];
  try {
    top = (await git.text(["rev-parse", "--absolute-git-dir", "--is-bare-repository", "--is-shallow-repository"])).trim().split("\n");
  } catch (error) {
    if (error instanceof GitError && /not a git repository/i.test(error.stderr)) {
      throw new RepositoryError(`${absolute} is not a git repository`, { fix: "pass the folder of a clone (a work tree or a bare repository)" });
    }
    if (error instanceof GitError && /dubious ownership/i.test(error.stderr)) {
      throw new RepositoryError(`git refuses ${absolute}: it belongs to another user`, { fix: `if you trust it, run \`git config --global --add safe.directory ${absolute}\`` });
    }
    throw error;
  }
  const [gitDir, bare, shallowAnswer] = top as [string, string, string];
  const shallow = shallowAnswer === "true";
  const workTree = bare === "true" ? null : (await git.text(["rev-parse", "--show-toplevel"])).trim();
  const real = await realpath(absolute);
  if (real !== (await realpath(gitDir)) && (workTree === null || real !== (await realpath(workTree)))) {
    throw new RepositoryError(`${absolute} is inside the repository ${workTree ?? gitDir}, not its top`, { fix: `pass ${workTree ?? gitDir}` });
  }
  const [partial, tip] = await Promise.all([
    git.text(["config", "--get-regexp", String.raw`^(remote\..*\.promisor|extensions\.partialclone)$`], { okExitCodes: [0, 1] }).then((t) => t.trim()),
    git.text(["rev-parse", "--verify", "-q", "--end-of-options", `${ref}^{commit}`], { okExitCodes: [0, 1, 128] }).then((t) => t.trim()),
  ]);
  if (partial) {
    throw new RepositoryError(`${absolute} is a partial clone: objects it lacks would be fetched from its remote, and acc does not go online`, {
      fix: "mine a full clone (git clone without --filter), or run `git fetch --refetch` in it first",
    });
  }
  if (!tip) {
    const refs = (await git.text(["for-each-ref", "--count=1", "--format=%(refname)"])).trim();
    if (!refs && ref === "HEAD") throw new RepositoryError(`${absolute} has no commits: nothing to mine`, { fix: "commit something, or pass the clone that holds the history" });
    throw new RepositoryError(`"${ref}" names no commit in ${absolute}`, { fix: "pass a branch, tag or commit of it (git branch -a lists them)" });
  }
  let shallowBoundary = 0;
  if (shallow) {
    const file = (await git.text(["rev-parse", "--git-path", "shallow"])).trim();
    shallowBoundary = (await readFile(resolve(absolute, file), "utf8").catch(() => "")).split("\n").filter(Boolean).length;
    if (!allowShallow) {
      throw new RepositoryError(`${absolute} is a shallow clone: its history stops at ${shallowBoundary} cut commit(s), so PRs, links and versions would be missing`, {
        fix: "run `git fetch --unshallow` in it, or pass --allow-shallow to mine the history it has",
      });
    }
  }
  return { path: absolute, gitDir, workTree, tip, shallowBoundary };
}
