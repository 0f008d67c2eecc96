import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { giveToSandbox, runSandboxed, sandboxCanRead, sandboxProblem } from "../envs/sandbox.js";
import { Limiter } from "../llm/limiter.js";
import { canIsolateNetwork, type CommandResult, commandEnvironment, runCommand } from "./sandbox.js";
import { fail, pass, type Verdict } from "./types.js";
import { UsageError } from "../errors/acc-error.js";

const git = promisify(execFile);

export interface PatchTestOptions {
  /** The git repository the patches are made against. */
  repo: string;
  /** Run by `sh -c` at the worktree's root; exit code 0 means the patch passes. */
  testCommand: string;
  timeoutMs: number;
  /** Run tests with network access when neither bubblewrap nor `unshare -rn` works here (otherwise that is an error). */
  allowNetwork: boolean;
  /** Test runs at once. */
  jobs: number;
}

/** Lines of the test output quoted in a failing verdict. */
const OUTPUT_LINES = 12;

/** A test run refused before it starts: the sandbox cannot be set up as asked. */
export class SandboxError extends UsageError {
  override name = "SandboxError";
}

/**
 * How a test run is confined: `sandbox` is bubblewrap (the filesystem read-only but for the worktree and
 * a private /tmp, home folders hidden, no network, limits on CPU time, processes and file size);
 * `network` is `unshare -rn` (no network, nothing else); `none` only when asked for.
 */
export type TestIsolation = "sandbox" | "network" | "none";

/** Environment variables a sandboxed run does not take from acc's: the sandbox sets its own. */
const SANDBOX_OWN_VARIABLES = new Set(["HOME", "TMPDIR", "PWD", "OLDPWD", "SHLVL", "_"]);

/**
 * Applies a candidate patch at a base commit in a temporary git worktree and runs the test command
 * there, confined (see TestIsolation: bubblewrap when it works here, else `unshare -rn`) and with a time
 * limit: the code under test is a model's. Worktrees are added and removed one at a time (git locks the
 * repository's worktree list); test runs go `jobs` at once.
 */
export class PatchTester {
  readonly isolation: TestIsolation;
  private readonly runs: Limiter;
  private gitQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: PatchTestOptions) {
    this.isolation = sandboxProblem() === undefined ? "sandbox" : canIsolateNetwork() ? "network" : "none";
    if (this.isolation === "none" && !options.allowNetwork) {
      throw new SandboxError(
        `cannot run tests confined: ${sandboxProblem()}, and \`unshare -rn\` is not available here (unprivileged user namespaces are off); allow network access explicitly to run them anyway`,
        { fix: "pass --allow-network to run them unconfined" },
      );
    }
    this.runs = new Limiter(options.jobs);
  }

  /** Whether tests run without network (false only when allowed and no isolation works here). */
  get networkIsolated(): boolean {
    return this.isolation !== "none";
  }

  async verify(base: string, patch: string): Promise<Verdict> {
    await this.runs.acquire();
    const dir = await mkdtemp(join(tmpdir(), "acc-verify-"));
    const worktree = join(dir, "worktree");
    let added = false;
    try {
      try {
        await this.serial(() => git("git", ["-C", this.options.repo, "worktree", "add", "--detach", "--quiet", worktree, `${base}^{commit}`]));
        added = true;
      } catch (error) {
        return fail("repo-error", `cannot check out ${base} in ${this.options.repo}: ${firstLine(gitMessage(error))}`);
      }
      const patchFile = join(dir, "candidate.patch");
      await writeFile(patchFile, patch.endsWith("\n") ? patch : `${patch}\n`);
      try {
        // --recount: models get hunk line counts wrong; the lines themselves must still match
        await git("git", ["-C", worktree, "apply", "--recount", "--whitespace=nowarn", `-p${stripLevel(patch)}`, patchFile]);
      } catch (error) {
        return fail("patch-does-not-apply", firstLine(gitMessage(error)), 0);
      }
      const result = await this.runTests(worktree);
      const output = lastLines(result.outputTail);
      if (result.timedOut) return fail("tests-timeout", `the test command ran past ${this.options.timeoutMs} ms and was killed${output}`, 0);
      if (result.exitCode === 0) return pass("tests-passed", `\`${this.options.testCommand}\` exited 0`, 1);
      const how = result.exitCode === null ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
      return fail("tests-failed", `\`${this.options.testCommand}\` ${how}${output}`, 0);
    } finally {
      if (added) await this.serial(() => git("git", ["-C", this.options.repo, "worktree", "remove", "--force", worktree])).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      if (added) await this.serial(() => git("git", ["-C", this.options.repo, "worktree", "prune"])).catch(() => undefined);
      this.runs.release();
    }
  }

  private async runTests(worktree: string): Promise<CommandResult> {
    const { testCommand, timeoutMs } = this.options;
    if (this.isolation !== "sandbox") return runCommand(testCommand, { cwd: worktree, timeoutMs, isolateNetwork: this.isolation === "network" });
    // the worktree's folder too: as root, the sandbox user must be able to reach the worktree
    await giveToSandbox(dirname(worktree));
    const gitDir = join(this.options.repo, ".git");
    const env = Object.fromEntries(
      Object.entries(commandEnvironment()).filter((entry): entry is [string, string] => entry[1] !== undefined && !SANDBOX_OWN_VARIABLES.has(entry[0])),
    );
    const result = await runSandboxed(testCommand, {
      cwd: worktree,
      writable: worktree,
      // the worktree's history, for test commands that call git
      readable: sandboxCanRead(gitDir) ? [gitDir] : [],
      env,
      limits: { timeoutMs, cpuSeconds: Math.ceil(timeoutMs / 1000), maxProcesses: 256, maxFileBytes: 1024 * 1024 * 1024, maxOutputChars: 16 * 1024 },
    });
    return { exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut, outputTail: result.output };
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.gitQueue.then(step, step);
    this.gitQueue = next.catch(() => undefined);
    return next;
  }
}

/** Paths written as a/x and b/x (git's default) lose one component; bare paths none. */
function stripLevel(patch: string): number {
  return /^(?:diff --git a\/|--- a\/|\+\+\+ b\/)/m.test(patch) || !/^(?:---|\+\+\+) /m.test(patch) ? 1 : 0;
}

function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  return stderr?.trim() || (error as Error).message;
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? text;
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines.length === 0 || text.trim() === "" ? "" : `: …${lines.slice(-OUTPUT_LINES).join("\n")}`;
}
