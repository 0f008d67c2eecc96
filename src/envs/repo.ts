import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { Limiter } from "../llm/limiter.js";
import type { RolloutTask } from "../records/rollout.js";
import { giveToSandbox, runSandboxed, sandboxCanRead, type SandboxLimits, sandboxProblem, SandboxUnavailable, type SandboxResult } from "./sandbox.js";
import { capText, type EnvSession, EnvSpecError, type Environment, integerArgument, type RewardOutcome, stringArgument, type ToolResult, type ToolSpec } from "./types.js";

const run = promisify(execFile);

export interface RepoEnvOptions {
  /** The git repository tasks start from. */
  repo: string;
  /** Limits of every bash command. */
  limits: SandboxLimits;
  /** Wall-clock limit of the test command (same sandbox, same other limits). */
  testTimeoutMs: number;
  /** Characters of one view result shown to the agent. */
  maxChars: number;
  /** Sandboxed commands at once. */
  jobs: number;
  /** The test command of tasks that name none. */
  testCommand?: string;
}

const VIEW_LINES = 200;
/** Git inside the sandbox sees a repository owned by another user; this lets it read it. */
const GIT_SAFE_ENV = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: "*" };

const TOOLS: ToolSpec[] = [
  {
    name: "bash",
    description: "Run a shell command in the repository (no network; only the repository is writable).",
    parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
  },
  {
    name: "view",
    description: "Show a file with line numbers (a range with start_line and end_line), or list a directory.",
    parameters: {
      type: "object",
      properties: { path: { type: "string" }, start_line: { type: "integer" }, end_line: { type: "integer" } },
      required: ["path"],
    },
  },
  {
    name: "edit",
    description: "Replace the one occurrence of old_str in a file with new_str; with an empty old_str, create the file.",
    parameters: {
      type: "object",
      properties: { path: { type: "string" }, old_str: { type: "string" }, new_str: { type: "string" } },
      required: ["path", "old_str", "new_str"],
    },
  },
  { name: "submit", description: "Submit the changes when the task is done.", parameters: { type: "object", properties: {}, required: [] } },
];

const SYSTEM_PROMPT = [
  "You fix issues in a git repository. Explore it with bash and view, change files with edit, and run its tests with bash.",
  "Commands run without network, and only the repository can be changed. When the task is done, call submit.",
].join("\n");

/**
 * The repo environment: each episode works in its own git worktree at the task's base commit, with
 * bash (sandboxed by bubblewrap), view, edit and submit. The reward is the task's test command's exit code.
 */
export class RepoEnvironment implements Environment {
  readonly name = "repo" as const;
  readonly domain = "swe" as const;
  readonly tools = TOOLS;
  readonly systemPrompt = SYSTEM_PROMPT;
  private readonly commands: Limiter;
  private gitQueue: Promise<unknown> = Promise.resolve();
  private readonly repo: string;

  /**
   * @param gitDirs the repository's git folder when the sandbox user can read it: git then works inside the
   * sandbox too (as root the sandbox runs as another user, who may not be allowed into a private folder)
   */
  private constructor(
    private readonly options: RepoEnvOptions,
    private readonly gitDirs: string[],
  ) {
    this.repo = resolve(options.repo);
    this.commands = new Limiter(options.jobs);
  }

  /** Checks the repository and the sandbox; both are needed before any episode starts. */
  static async create(options: RepoEnvOptions): Promise<RepoEnvironment> {
    const problem = sandboxProblem();
    if (problem) throw new SandboxUnavailable(`repo environment: ${problem}`);
    let gitDir: string;
    try {
      gitDir = (await git(resolve(options.repo), "rev-parse", "--path-format=absolute", "--git-common-dir")).trim();
    } catch (error) {
      throw new EnvSpecError(`repo environment: ${options.repo} is not a git repository (${firstLine(error)})`);
    }
    return new RepoEnvironment(options, sandboxCanRead(join(gitDir, "HEAD")) ? [gitDir] : []);
  }

  checkTask(task: RolloutTask): string | undefined {
    if (task.base_commit === undefined) return "a repo task needs base_commit";
    if (task.test_command === undefined && this.options.testCommand === undefined) return "a repo task needs test_command (or give rollout --test-cmd)";
    return undefined;
  }

  trajectoryTask(task: RolloutTask) {
    return { ground_truth: null, repo: { url: this.repo, ...(task.base_commit !== undefined ? { base_commit: task.base_commit } : {}) } };
  }

  async open(task: RolloutTask): Promise<EnvSession> {
    const base = (await git(this.repo, "rev-parse", "--verify", `${task.base_commit}^{commit}`).catch((error: unknown) => {
      throw new Error(`repo environment: base_commit ${JSON.stringify(task.base_commit)} of task ${task.id} is not a commit (${firstLine(error)})`);
    })).trim();
    const dir = await mkdtemp(join(tmpdir(), "acc-rollout-"));
    const worktree = join(dir, "worktree");
    await this.serialGit(() => git(this.repo, "worktree", "add", "--detach", "--quiet", worktree, base));
    await giveToSandbox(dir);
    const session = new RepoSession(this, worktree, base, task);
    return {
      call: (name, args) => session.call(name, args),
      reward: () => session.reward(),
      close: async () => {
        await this.serialGit(() => git(this.repo, "worktree", "remove", "--force", worktree)).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
        await this.serialGit(() => git(this.repo, "worktree", "prune")).catch(() => undefined);
      },
    };
  }

  async fingerprint(): Promise<unknown> {
    const head = (await git(this.repo, "rev-parse", "HEAD").catch(() => "")).trim();
    return { repo: this.repo, head, options: this.options };
  }

  async close(): Promise<void> {}

  /** A sandboxed command in a worktree, at most `jobs` at once. */
  async sandboxed(worktree: string, command: string, timeoutMs: number): Promise<SandboxResult> {
    await this.commands.acquire();
    try {
      return await runSandboxed(command, { cwd: worktree, writable: worktree, readable: this.gitDirs, env: GIT_SAFE_ENV, limits: { ...this.options.limits, timeoutMs } });
    } finally {
      this.commands.release();
    }
  }

  get limits(): SandboxLimits {
    return this.options.limits;
  }

  get testTimeoutMs(): number {
    return this.options.testTimeoutMs;
  }

  testCommandOf(task: RolloutTask): string {
    return task.test_command ?? this.options.testCommand!;
  }

  get maxChars(): number {
    return this.options.maxChars;
  }

  /** git refuses concurrent changes to a repository's worktree list. */
  private serialGit<T>(action: () => Promise<T>): Promise<T> {
    const next = this.gitQueue.then(action, action);
    this.gitQueue = next.catch(() => undefined);
    return next;
  }
}

class RepoSession {
  private patch: string | undefined;

  constructor(
    private readonly env: RepoEnvironment,
    private readonly worktree: string,
    private readonly base: string,
    private readonly task: RolloutTask,
  ) {}

  async call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    switch (name) {
      case "bash": {
        const command = stringArgument(args, "command", name);
        if (typeof command !== "string") return command;
        const result = await this.env.sandboxed(this.worktree, command, this.env.limits.timeoutMs);
        return { content: describeRun(result, this.env.limits.timeoutMs), isError: result.timedOut || result.exitCode !== 0 };
      }
      case "view":
        return this.view(args);
      case "edit":
        return this.edit(args);
      case "submit": {
        this.patch = await this.diff();
        const files = (this.patch.match(/^diff --git /gm) ?? []).length;
        return { content: `submitted: ${files} file${files === 1 ? "" : "s"} changed`, isError: false, submitted: this.patch };
      }
      default:
        return { content: `unknown tool ${JSON.stringify(name)}; the tools are ${TOOLS.map((t) => t.name).join(", ")}`, isError: true };
    }
  }

  async reward(): Promise<RewardOutcome> {
    const patch = this.patch ?? (await this.diff());
    const protectedFiles = this.task.test_files ?? [];
    if (protectedFiles.length > 0) await this.restore(protectedFiles);
    if (this.task.test_patch) {
      const problem = await this.applyTestPatch(this.task.test_patch);
      if (problem !== undefined) return { reward: 0, success: false, reason: "tests-failed", detail: `the task's test patch does not apply to the submitted tree: ${problem}`, submittedPatch: patch };
    }
    const result = await this.env.sandboxed(this.worktree, this.env.testCommandOf(this.task), this.env.testTimeoutMs);
    const outcome: RewardOutcome = result.timedOut
      ? { reward: 0, success: false, reason: "tests-timeout", detail: `the test command ran past ${this.env.testTimeoutMs} ms` }
      : result.exitCode === 0
        ? { reward: 1, success: true, reason: "tests-passed", detail: "the test command exited 0" }
        : { reward: 0, success: false, reason: "tests-failed", detail: `the test command exited ${result.exitCode ?? result.signal}: ${lastLine(result.output)}` };
    outcome.submittedPatch = patch;
    return outcome;
  }

  /** Test files back as they are at the base commit; files the base does not have are removed (the test patch adds them). */
  private async restore(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      const tracked = await git(this.worktree, "cat-file", "-e", `${this.base}:${path}`).then(
        () => true,
        () => false,
      );
      if (tracked) await git(this.worktree, "checkout", this.base, "--", path);
      else await git(this.worktree, "rm", "-r", "-f", "-q", "--ignore-unmatch", "--", path);
    }
  }

  /** `git apply` of the test patch, from a file beside the worktree (never inside it); a message when it does not apply. */
  private async applyTestPatch(testPatch: string): Promise<string | undefined> {
    const file = join(dirname(this.worktree), "test.patch");
    await writeFile(file, testPatch);
    try {
      await git(this.worktree, "apply", "--whitespace=nowarn", file);
      return undefined;
    } catch (error) {
      return firstLine(error);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Every change against the base commit, new files included. */
  private async diff(): Promise<string> {
    await git(this.worktree, "add", "--all");
    return git(this.worktree, "diff", "--cached", "--binary", this.base);
  }

  /** The absolute path of `path` if it stays inside the worktree (symlinks resolved), else an error result. */
  private async inside(path: string, tool: string): Promise<string | ToolResult> {
    const full = resolve(this.worktree, path);
    const root = await realpath(this.worktree);
    let existing = full;
    while (!existsSync(existing)) existing = dirname(existing);
    const real = join(await realpath(existing), relative(existing, full));
    const rel = relative(root, real);
    if (rel.startsWith("..") || isAbsolute(rel)) return { content: `${tool}: ${path} is outside the repository`, isError: true };
    if (rel === ".git" || rel.startsWith(`.git${sep}`)) return { content: `${tool}: ${path} is git's own data`, isError: true };
    return real;
  }

  private async view(args: Record<string, unknown>): Promise<ToolResult> {
    const path = stringArgument(args, "path", "view");
    if (typeof path !== "string") return path;
    const full = await this.inside(path, "view");
    if (typeof full !== "string") return full;
    const info = await stat(full).catch(() => undefined);
    if (!info) return { content: `view: ${path} does not exist`, isError: true };
    if (info.isDirectory()) {
      const entries = await readdir(full, { withFileTypes: true });
      const names = entries.filter((e) => e.name !== ".git").map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
      return { content: capText(names.join("\n") || "(empty directory)", this.env.maxChars), isError: false };
    }
    const start = integerArgument(args, "start_line", "view", 1);
    if (typeof start !== "number") return start;
    const lines = (await readFile(full, "utf8")).split("\n");
    const end = integerArgument(args, "end_line", "view", Math.min(lines.length, start + VIEW_LINES - 1));
    if (typeof end !== "number") return end;
    if (start < 1 || end < start) return { content: `view: the range ${start}-${end} is empty (the file has ${lines.length} lines)`, isError: true };
    const shown = lines.slice(start - 1, end).map((line, i) => `${String(start + i).padStart(5)}  ${line}`);
    const more = end < lines.length ? `\n(lines ${start}-${end} of ${lines.length})` : "";
    return { content: capText(shown.join("\n") + more, this.env.maxChars), isError: false };
  }

  private async edit(args: Record<string, unknown>): Promise<ToolResult> {
    const path = stringArgument(args, "path", "edit");
    if (typeof path !== "string") return path;
    const oldText = stringArgument(args, "old_str", "edit");
    if (typeof oldText !== "string") return oldText;
    const newText = stringArgument(args, "new_str", "edit");
    if (typeof newText !== "string") return newText;
    const full = await this.inside(path, "edit");
    if (typeof full !== "string") return full;
    const current = await readFile(full, "utf8").catch(() => undefined);
    if (oldText === "") {
      if (current !== undefined && current !== "") return { content: `edit: ${path} exists; give old_str to change it`, isError: true };
      // eslint-disable-next-line no-restricted-syntax -- inside the worktree (checked by `inside`), never a user's output folder
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, newText);
      await giveToSandbox(full);
      return { content: `created ${path}`, isError: false };
    }
    if (current === undefined) return { content: `edit: ${path} does not exist`, isError: true };
    const count = current.split(oldText).length - 1;
    if (count !== 1) return { content: `edit: old_str appears ${count} times in ${path}; it must appear exactly once (add surrounding lines)`, isError: true };
    await writeFile(full, current.replace(oldText, () => newText));
    return { content: `edited ${path}`, isError: false };
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-c", "safe.directory=*", "-C", cwd, ...args], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

function describeRun(result: SandboxResult, timeoutMs: number): string {
  let status: string;
  if (result.timedOut) status = `[stopped after ${timeoutMs} ms]`;
  else if (result.signal) status = `[killed by ${result.signal}]`;
  else if (result.exitCode !== null && result.exitCode > 128) {
    // the shell reports a child killed by a signal as 128 + its number; SIGKILL and SIGXCPU come from the CPU-time limit
    const signal = Object.entries(constants.signals).find(([, n]) => n === result.exitCode! - 128)?.[0] ?? `signal ${result.exitCode - 128}`;
    const why = signal === "SIGKILL" || signal === "SIGXCPU" ? ": the CPU-time limit" : "";
    status = `[exit code ${result.exitCode}: killed by ${signal}${why}]`;
  } else status = `[exit code ${result.exitCode}]`;
  return result.output === "" ? status : `${result.output.replace(/\n$/, "")}\n${status}`;
}

function firstLine(error: unknown): string {
  const text = (error as { stderr?: string }).stderr || (error as Error).message;
  return text.trim().split("\n")[0] ?? "";
}

function lastLine(output: string): string {
  return output.trim().split("\n").at(-1)?.slice(0, 200) ?? "";
}
