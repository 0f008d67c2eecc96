import { Limiter } from "../run/limiter.js";
import { memoryLimitReached, SandboxGitError, requireSandbox, resolveCommit, type SandboxSettings, SandboxTreeError, sourceGitDir, Workspace } from "../run/sandbox/index.js";
import { fail, pass, type Verdict } from "./types.js";

export interface PatchTestOptions {
  /** The git repository the patches are made against (only its objects are read). */
  repo: string;
  /** Run by `sh -c` at the repository's root in the box; exit code 0 means the patch passes. */
  testCommand: string;
  /** The box the tests run in; `limits.timeoutMs` is the test command's time limit. */
  sandbox: SandboxSettings;
  /** Test runs at once. */
  jobs: number;
}

/** Lines of the test output quoted in a failing verdict. */
const OUTPUT_LINES = 12;

/**
 * Applies a candidate patch at a base commit and runs the test command, both in a box of their own (see
 * src/run/sandbox/): the patch and the code under test are a model's. The source repository is only read.
 */
export class PatchTester {
  private readonly runs: Limiter;

  private constructor(
    private readonly options: PatchTestOptions,
    private readonly gitDir: string,
  ) {
    this.runs = new Limiter(options.jobs);
  }

  /** Refuses (SandboxUnavailable) when the sandbox cannot run here and running unconfined was not asked for. */
  static async create(options: PatchTestOptions): Promise<PatchTester> {
    await requireSandbox("running tests on a patch", options.sandbox.unsafe);
    return new PatchTester(options, await sourceGitDir(options.repo));
  }

  /** Whether tests run in the sandbox (false only when running unconfined was asked for). */
  get sandboxed(): boolean {
    return !this.options.sandbox.unsafe;
  }

  async verify(base: string, patch: string): Promise<Verdict> {
    await this.runs.acquire();
    try {
      return await this.test(base, patch);
    } finally {
      this.runs.release();
    }
  }

  private async test(base: string, patch: string): Promise<Verdict> {
    const { testCommand, repo } = this.options;
    const timeoutMs = this.options.sandbox.limits.timeoutMs;
    let commit: string;
    try {
      commit = await resolveCommit(this.gitDir, base);
    } catch (error) {
      return fail("repo-error", `cannot check out ${base} in ${repo}: ${(error as Error).message}`);
    }
    const workspace = await Workspace.open(this.options.sandbox, this.gitDir);
    try {
      try {
        await workspace.load(commit);
      } catch (error) {
        if (error instanceof SandboxTreeError || error instanceof SandboxGitError) return fail("repo-error", error.message);
        throw error;
      }
      // --recount: models get hunk line counts wrong; the lines themselves must still match
      const refused = await workspace.apply([{ text: patch, args: ["--recount", "--whitespace=nowarn", `-p${stripLevel(patch)}`] }]);
      if (refused) return fail("patch-does-not-apply", refused.message, 0);
      const result = await workspace.run(testCommand, timeoutMs);
      const output = lastLines(result.output);
      if (result.timedOut) return fail("tests-timeout", `the test command ran past ${timeoutMs} ms and was killed${output}`, 0);
      if (result.exitCode === 0) return pass("tests-passed", `\`${testCommand}\` exited 0`, 1);
      const exit = result.exitCode === null ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
      const how = result.overflowed ? "printed more than the output limit and was stopped" : result.memoryExceeded ? `failed: ${memoryLimitReached(this.options.sandbox.limits)}; it ${exit}` : exit;
      return fail("tests-failed", `\`${testCommand}\` ${how}${output}`, 0);
    } finally {
      await workspace.close();
    }
  }
}

/** Paths written as a/x and b/x (git's default) lose one component; bare paths none. */
function stripLevel(patch: string): number {
  return /^(?:diff --git a\/|--- a\/|\+\+\+ b\/)/m.test(patch) || !/^(?:---|\+\+\+) /m.test(patch) ? 1 : 0;
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines.length === 0 || text.trim() === "" ? "" : `: …${lines.slice(-OUTPUT_LINES).join("\n")}`;
}
