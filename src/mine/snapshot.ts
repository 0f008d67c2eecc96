import { readdir, rm } from "node:fs/promises";
import { makeDirectory } from "../io/directory.js";
import { join } from "node:path";
import { Git } from "./git.js";
import { AccError } from "../errors/acc-error.js";

export class SnapshotError extends AccError {
  override name = "SnapshotError";
}

export interface Snapshot {
  dir: string;
  base: string;
  /** Commits in the snapshot: exactly the ancestors of base, base included. */
  commits: number;
  /** Objects in its object store: exactly those reachable from base. */
  objects: number;
}

/**
 * Writes a repository at `dir` whose only history is `base` and its ancestors, checked out on branch
 * `main`: a fresh `git init` that fetches `base` alone from `repo` (objects travel in a pack negotiated for
 * that one commit, never copied or hard-linked, so the new store holds nothing else and needs no gc), with
 * no remote, no tags, no FETCH_HEAD and no reflogs. It is then verified (verifySnapshot): nothing from after
 * base can be found in it.
 */
export async function writeSnapshot(repo: string, base: string, dir: string): Promise<Snapshot> {
  await makeDirectory(dir);
  if ((await readdir(dir)).length > 0) throw new SnapshotError(`snapshot directory ${dir} is not empty`);
  const source = new Git(repo);
  const sha = (await source.text(["rev-parse", "--verify", "--end-of-options", `${base}^{commit}`])).trim();
  const snapshot = new Git(dir);
  await snapshot.output(["init", "-q", "-b", "main"]);
  await snapshot.output([
    "fetch",
    "-q",
    "--no-tags",
    "--no-write-fetch-head",
    "--update-head-ok",
    "--upload-pack=git -c uploadpack.allowAnySHA1InWant=true upload-pack",
    repo,
    `${sha}:refs/heads/main`,
  ]);
  await snapshot.output(["checkout", "-q", "-f", "main"]);
  // The reflogs only name the base, but a stage repository has no use for them.
  await rm(join(dir, ".git", "logs"), { recursive: true, force: true });
  return verifySnapshot(dir, sha);
}

/**
 * Proves a snapshot holds nothing reachable after `base`: its only ref is refs/heads/main at base, it has no
 * remote, reflog or FETCH_HEAD/ORIG_HEAD, every commit of `git rev-list --all --reflog` is an ancestor of
 * base, and every object in the store (`cat-file --batch-all-objects`) is reachable from base.
 */
export async function verifySnapshot(dir: string, base: string): Promise<Snapshot> {
  const git = new Git(dir);
  const problems: string[] = [];
  const refs = (await git.text(["for-each-ref", "--format=%(refname) %(objectname)"])).trim();
  if (refs !== `refs/heads/main ${base}`) problems.push(`refs other than refs/heads/main at ${base}: ${refs.replaceAll("\n", ", ")}`);
  const remotes = (await git.text(["remote"])).trim();
  if (remotes) problems.push(`remotes: ${remotes}`);
  const gitDir = join(dir, ".git");
  const entries = new Set(await readdir(gitDir));
  for (const name of ["FETCH_HEAD", "ORIG_HEAD", "logs", "shallow"]) if (entries.has(name)) problems.push(`.git/${name} exists`);
  const later = (await git.text(["rev-list", "--all", "--reflog", "--not", base])).trim();
  if (later) problems.push(`commits not in the history of ${base}: ${later.split("\n").length}`);
  const reachable = new Set((await git.text(["rev-list", "--objects", base])).split("\n").map((line) => line.slice(0, line.indexOf(" ") === -1 ? undefined : line.indexOf(" "))).filter(Boolean));
  const stored = (await git.text(["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"])).split("\n").filter(Boolean);
  const stray = stored.filter((sha) => !reachable.has(sha));
  if (stray.length > 0) problems.push(`${stray.length} objects not reachable from ${base}, e.g. ${stray[0]}`);
  if (problems.length > 0) throw new SnapshotError(`snapshot ${dir} leaks history after ${base}: ${problems.join("; ")}`);
  const commits = Number((await git.text(["rev-list", "--count", base])).trim());
  return { dir, base, commits, objects: stored.length };
}
