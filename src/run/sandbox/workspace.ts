// A box holding a git tree: the one way the repo environment, `acc verify patch`, `acc teach --test-cmd`
// and `acc mine --test-cmd` run code they did not write. Trees go in and come out as tar streams; every
// command, `git apply` of a model's patch included, runs inside the box.
import { PassThrough } from "node:stream";
import { Box, type BoxOptions, type RunResult } from "./box.js";
import { firstLine } from "./git.js";
import { memoryLimitReached } from "./limits.js";
import { type Snapshot, SandboxTreeError, TreeStore } from "./tree.js";

export interface SandboxSettings extends BoxOptions {
  /** Host folders commands may read besides the system's. */
  readOnly: readonly string[];
  /** Run without the sandbox (the user passed --unsafe-no-sandbox). */
  unsafe: boolean;
}

/** git inside the box reads no configuration but the repository's own (its HOME is a folder that does not exist). */
const BOX_GIT_ENV = { HOME: "/nonexistent", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

const INIT_GIT = "git init --quiet && git add --all && git -c user.name=acc -c user.email=acc@localhost commit --quiet --no-verify --allow-empty --message=base";
const INIT_GIT_ENV = { ...BOX_GIT_ENV, GIT_AUTHOR_DATE: "2000-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2000-01-01T00:00:00Z" };

// The box's files as a tar stream: what git would add (.gitignore applies, .git folders never), listed by
// git against an empty repository of the box's own so nothing in the worktree's .git can change the list.
// Every file is the box user's: what it made unreadable is made readable again (modes git does not keep).
const SNAPSHOT = `chmod -R u+rX . 2>/dev/null
set -e
g=$(mktemp -d)
list=$(mktemp)
git init --quiet --bare "$g"
git --git-dir="$g" --work-tree=. ls-files -z --others --exclude-standard > "$list"
if [ -s "$list" ]; then exec tar --null --no-recursion --files-from="$list" --create --file=-; fi`;

/** A box, with a store of acc's own reading objects from the source repository (unless it only takes trees from another's). */
export class Workspace {
  private constructor(
    readonly box: Box,
    private readonly ownStore: TreeStore | undefined,
  ) {}

  /** A box; with a store of its own when given the source repository's git folder. */
  static async open(settings: SandboxSettings, sourceGitDir?: string): Promise<Workspace> {
    const box = await Box.open(settings);
    try {
      return new Workspace(box, sourceGitDir === undefined ? undefined : await TreeStore.create(`${box.privateDir}/git`, sourceGitDir, box.enterPrivate));
    } catch (error) {
      await box.close();
      throw error;
    }
  }

  get store(): TreeStore {
    // invariant: only workspaces opened without a shared store read it
    if (!this.ownStore) throw new Error("this workspace has no store of its own");
    return this.ownStore;
  }

  /**
   * Writes the files of `treeish` (from `store`, this workspace's by default) into the box's repository
   * folder; with `withGit`, makes that folder a git repository with one commit, the tree (the agent's own).
   */
  async load(treeish: string, store: TreeStore = this.store, withGit = false): Promise<void> {
    const { stream, done } = store.archive(treeish);
    const [result] = await Promise.all([
      this.box.exec(["sh", "-c", withGit ? `tar --extract --file=- && ${INIT_GIT}` : "exec tar --extract --file=-"], { stdin: stream, ...(withGit ? { env: INIT_GIT_ENV } : {}) }),
      done.catch(() => undefined),
    ]);
    if (result.exitCode !== 0) {
      // the box's files are memory too: its cgroup counts them with its processes
      const why = result.timedOut ? `it took longer than ${this.box.limits.timeoutMs} ms` : result.memoryExceeded ? `${memoryLimitReached(this.box.limits)} (the box's files count too: raise --sandbox-memory)` : firstLine(result.stderr) || `exit ${result.exitCode ?? result.signal}`;
      throw new SandboxTreeError(`cannot put ${treeish} into the box: ${why}${/No space|Disk quota|inode/i.test(why) ? " (the box's disk or file limit: raise --sandbox-disk or --sandbox-files)" : ""}`);
    }
    await done;
  }

  /** The box's files committed on top of `base` in the store (nothing the box's commands wrote is run or followed). */
  async snapshot(base: string, timeoutMs?: number): Promise<Snapshot> {
    const tar = new PassThrough();
    // the stream is as large as the box's disk at most; the store refuses more changed bytes than the output limit
    const running = this.box.exec(["sh", "-c", SNAPSHOT], { stdout: tar, env: BOX_GIT_ENV, ...(timeoutMs ? { timeoutMs } : {}), maxStdout: Number.MAX_SAFE_INTEGER });
    const reading = this.store.snapshot(base, tar, this.box.limits.outputBytes);
    const [result, snapshot] = await Promise.allSettled([running, reading]);
    if (result.status === "rejected") throw result.reason;
    // the store refusing the changes (past the output limit) stops the stream, and so kills the box's
    // command: the refusal is the cause, whichever of the two ended first
    if (snapshot.status === "rejected" && snapshot.reason instanceof SandboxTreeError) throw snapshot.reason;
    const run = result.value;
    if (run.exitCode !== 0) {
      const why = run.timedOut ? `it took longer than ${timeoutMs ?? this.box.limits.timeoutMs} ms` : firstLine(run.stderr) || `exit ${run.exitCode ?? run.signal}`;
      throw new SandboxTreeError(`cannot read the box's files: ${why}`);
    }
    if (snapshot.status === "rejected") throw snapshot.reason;
    return snapshot.value;
  }

  /**
   * Applies each patch in turn with `git apply` inside the box (the patch is untrusted text); the index of
   * the first that does not apply and git's reason, or undefined when all did.
   */
  async apply(patches: readonly { text: string; args: readonly string[] }[]): Promise<{ index: number; message: string } | undefined> {
    for (const [index, patch] of patches.entries()) {
      const text = patch.text.endsWith("\n") ? patch.text : `${patch.text}\n`;
      const result = await this.box.exec(["git", "apply", ...patch.args, "-"], { stdin: text, env: BOX_GIT_ENV });
      if (result.exitCode !== 0) return { index, message: firstLine(result.stderr) || (result.timedOut ? "git apply ran past the time limit" : `git apply exited ${result.exitCode ?? result.signal}`) };
    }
    return undefined;
  }

  run(command: string, timeoutMs: number, env: Record<string, string> = {}): Promise<RunResult> {
    return this.box.run(command, { timeoutMs, env });
  }

  close(): Promise<void> {
    return this.box.close();
  }
}
