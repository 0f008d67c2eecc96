import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { makeDirectory } from "../io/directory.js";
import { MineError } from "./errors.js";
import { Git } from "./git.js";
import { openRepository } from "./repository.js";

export class SnapshotError extends MineError {
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
 * `main`: a fresh `git init` (no templates, so no hooks) that fetches `base` alone from `repo` (objects
 * travel in a pack negotiated for that one commit, never copied or hard-linked, so the new store holds
 * nothing else and needs no gc), with no remote, no tags, no FETCH_HEAD and no reflogs. It is then verified
 * (verifySnapshot): nothing from after base can be found in it.
 *
 * Both paths are resolved against the working directory. `dir` must be new or empty and outside the mined
 * repository (inside its work tree, the full history would be one `cd ..` away). The repository is built in
 * a temporary folder beside `dir` and renamed into place only once verified: a failure leaves nothing.
 */
export async function writeSnapshot(repo: string, base: string, dir: string): Promise<Snapshot> {
  const source = await openRepository(resolve(repo), base, true);
  const target = resolve(dir);
  await refuseInside(target, source.workTree ?? source.gitDir, source.gitDir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new SnapshotError(`snapshot directory ${target} is a file`, { code: "usage", fix: "pass a new or empty folder" });
  if (existing && (await readdir(target)).length > 0) throw new SnapshotError(`snapshot directory ${target} is not empty`, { code: "usage", fix: "pass a new or empty folder" });
  await makeDirectory(dirname(target));
  const building = join(dirname(target), `.${basename(target)}.acc-tmp-${randomBytes(6).toString("hex")}`);
  await mkdir(building);
  try {
    const snapshot = new Git(building);
    await snapshot.output(["init", "-q", "--template=", "-b", "main"]);
    await snapshot.output([
      "fetch",
      "-q",
      "--no-tags",
      // from a shallow clone (mined with --allow-shallow), the snapshot is cut where the clone is
      ...(source.shallowBoundary > 0 ? ["--update-shallow"] : []),
      "--no-write-fetch-head",
      "--update-head-ok",
      "--upload-pack=git -c uploadpack.allowAnySHA1InWant=true upload-pack",
      source.path,
      `${source.tip}:refs/heads/main`,
    ]);
    await snapshot.output(["checkout", "-q", "-f", "main"]);
    // The reflogs only name the base, but a stage repository has no use for them.
    await rm(join(building, ".git", "logs"), { recursive: true, force: true });
    const verified = await verifySnapshot(building, source.tip);
    if (existing) await rmdir(target);
    await rename(building, target);
    return { ...verified, dir: target };
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}

/** Refuses a target inside (or equal to) the repository's work tree or git folder, links resolved. */
async function refuseInside(target: string, ...roots: string[]): Promise<void> {
  let existing = target;
  const rest: string[] = [];
  while (!(await stat(existing).catch(() => undefined))) {
    rest.unshift(basename(existing));
    existing = dirname(existing);
  }
  const real = join(await realpath(existing), ...rest);
  for (const root of roots) {
    const inside = relative(await realpath(root), real);
    if (inside === "" || (!inside.startsWith(`..${sep}`) && inside !== ".." && !inside.startsWith(sep))) {
      throw new SnapshotError(`snapshot directory ${target} is inside the mined repository ${root}: its full history would be one folder up`, {
        code: "usage",
        fix: "write the snapshot outside the repository",
      });
    }
  }
}

/**
 * Proves a snapshot holds nothing reachable after `base`: its only ref is refs/heads/main at base, it has no
 * remote, reflog or FETCH_HEAD/ORIG_HEAD, a shallow file (of a shallow clone's snapshot) naming only commits of
 * base's history, every commit of `git rev-list --all --reflog` is an ancestor of
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
  for (const name of ["FETCH_HEAD", "ORIG_HEAD", "logs"]) if (entries.has(name)) problems.push(`.git/${name} exists`);
  const later = (await git.text(["rev-list", "--all", "--reflog", "--not", base])).trim();
  if (later) problems.push(`commits not in the history of ${base}: ${later.split("\n").length}`);
  if (entries.has("shallow")) {
    // A snapshot of a shallow clone is cut where the clone is: its shallow file may name only commits of base's history.
    const history = new Set((await git.text(["rev-list", base])).split("\n").filter(Boolean));
    const outside = (await readFile(join(gitDir, "shallow"), "utf8")).split("\n").filter((sha) => sha && !history.has(sha));
    if (outside.length > 0) problems.push(`.git/shallow names ${outside.length} commits not in the history of ${base}`);
  }
  const reachable = new Set((await git.text(["rev-list", "--objects", base])).split("\n").map((line) => line.slice(0, line.indexOf(" ") === -1 ? undefined : line.indexOf(" "))).filter(Boolean));
  const stored = (await git.text(["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"])).split("\n").filter(Boolean);
  const stray = stored.filter((sha) => !reachable.has(sha));
  if (stray.length > 0) problems.push(`${stray.length} objects not reachable from ${base}, e.g. ${stray[0]}`);
  if (problems.length > 0) throw new SnapshotError(`snapshot ${dir} leaks history after ${base}: ${problems.join("; ")}`);
  const commits = Number((await git.text(["rev-list", "--count", base])).trim());
  return { dir, base, commits, objects: stored.length };
}
