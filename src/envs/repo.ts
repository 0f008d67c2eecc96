import { constants } from "node:os";
import { Limiter } from "../run/limiter.js";
import type { RolloutTask } from "../records/rollout.js";
import { type ExecResult, memoryLimitReached, SandboxGitError, type SandboxLimits, requireSandbox, resolveCommit, type RunResult, type SandboxSettings, SandboxTreeError, sourceGitDir, Workspace } from "../run/sandbox/index.js";
import { capText, type EnvSession, EnvSpecError, type Environment, integerArgument, type RewardOutcome, stringArgument, type ToolResult, type ToolSpec } from "./types.js";

export interface RepoEnvOptions {
  /** The git repository tasks start from (only read: its objects, never its work tree). */
  repo: string;
  /** The box every episode works in; its `limits.timeoutMs` is each tool call's wall-clock limit. */
  sandbox: SandboxSettings;
  /** Wall-clock limit of the test command (same box limits otherwise). */
  testTimeoutMs: number;
  /** Characters of one tool result shown to the agent. */
  maxChars: number;
  /** Box commands at once (tool calls, test runs, episode setups). */
  jobs: number;
  /** The test command of tasks that name none. */
  testCommand?: string;
}

const VIEW_LINES = 200;
/** Largest file `edit` reads and rewrites. */
const MAX_EDIT_BYTES = 4 * 1024 * 1024;
/** The kernel's limit of one argument (MAX_ARG_STRLEN): a longer command cannot be started. */
const MAX_COMMAND_BYTES = 128 * 1024;

// Tool implementations run inside the box (as its user, with its time limit), so a FIFO, a symlink or a
// huge file the agent left behind meets the box's limits, never acc's privileges. Exit codes 65-67 say
// what the path is (the shell's own failures use 1 and 2); a symlink to nothing does not exist.
const MISSING = 65;
const SPECIAL = 66;
const EXISTS = 67;
const VIEW = `p=$1
if [ -d "$p" ]; then echo folder >&2; exec find "$p" -mindepth 1 -maxdepth 1 -printf '%y %f\\0'; fi
if [ -f "$p" ]; then exec awk -v s="$2" -v e="$3" -v lim="$4" 'NR >= s && NR <= e && n < lim { line = substr($0, 1, lim); print line; n += length(line) + 1 } END { printf "%d", NR > "/dev/stderr" }' "$p"; fi
if [ -e "$p" ]; then exit ${SPECIAL}; fi
exit ${MISSING}`;
const READ = `if [ -f "$1" ]; then exec head -c "$2" -- "$1"; fi
if [ -e "$1" ]; then exit ${SPECIAL}; fi
exit ${MISSING}`;
const WRITE = `if [ "$2" = create ]; then
  if [ -s "$1" ]; then exit ${EXISTS}; fi
  mkdir -p -- "$(dirname -- "$1")" || exit 1
fi
cat > "$1"`;

const TOOLS: ToolSpec[] = [
  {
    name: "bash",
    description: "Run a shell command in the repository (no network; only the repository and /tmp are writable).",
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
 * The repo environment: each episode works in a box of its own (see src/run/sandbox/) holding the task's
 * base commit, with bash, view, edit and submit all running inside it. The patch is computed by acc from
 * the box's files; the reward is the task's test command's exit code, run in a fresh box on exactly that patch.
 */
export class RepoEnvironment implements Environment {
  readonly name = "repo" as const;
  readonly domain = "swe" as const;
  readonly tools = TOOLS;
  readonly systemPrompt = SYSTEM_PROMPT;
  private readonly commands: Limiter;

  private constructor(
    readonly options: RepoEnvOptions,
    private readonly gitDir: string,
  ) {
    this.commands = new Limiter(options.jobs);
  }

  /** Checks the sandbox and the repository; both are needed before any episode starts. */
  static async create(options: RepoEnvOptions): Promise<RepoEnvironment> {
    await requireSandbox("the repo environment", options.sandbox.unsafe);
    try {
      return new RepoEnvironment(options, await sourceGitDir(options.repo));
    } catch (error) {
      throw new EnvSpecError(`repo environment: ${(error as Error).message}`);
    }
  }

  checkTask(task: RolloutTask): string | undefined {
    if (task.base_commit === undefined) return "a repo task needs base_commit";
    if (task.test_command === undefined && this.options.testCommand === undefined) return "a repo task needs test_command (or give rollout --test-cmd)";
    return undefined;
  }

  trajectoryTask(task: RolloutTask) {
    return { ground_truth: null, repo: { url: this.options.repo, ...(task.base_commit !== undefined ? { base_commit: task.base_commit } : {}) } };
  }

  async open(task: RolloutTask): Promise<EnvSession> {
    const base = await resolveCommit(this.gitDir, task.base_commit!).catch((error: unknown) => {
      throw new EnvSpecError(`repo environment: base_commit ${JSON.stringify(task.base_commit)} of task ${task.id}: ${(error as Error).message}`, { cause: error });
    });
    const workspace = await this.limited(() => this.start(base)).catch((error: unknown) => {
      if (error instanceof SandboxTreeError) throw new EnvSpecError(`repo environment: task ${task.id}: ${error.message}`);
      throw error;
    });
    const session = new RepoSession(this, workspace, base, task);
    return { call: (name, args) => session.call(name, args), reward: () => session.reward(), close: () => workspace.close() };
  }

  async fingerprint(): Promise<unknown> {
    const head = await resolveCommit(this.gitDir, "HEAD").catch(() => "");
    return { repo: this.options.repo, head, options: this.options };
  }

  async close(): Promise<void> {}

  /**
   * A box holding `commit`: an episode's, with a store and the agent's own git repository; or, given the
   * episode's workspace `from`, a box for the tests that takes the commit from the episode's store.
   */
  async start(commit: string, from?: Workspace): Promise<Workspace> {
    const workspace = await Workspace.open(this.options.sandbox, from ? undefined : this.gitDir);
    try {
      await (from ? workspace.load(commit, from.store) : workspace.load(commit, workspace.store, true));
      return workspace;
    } catch (error) {
      await workspace.close();
      throw error;
    }
  }

  /** At most `jobs` box commands at once. */
  async limited<T>(action: () => Promise<T>): Promise<T> {
    await this.commands.acquire();
    try {
      return await action();
    } finally {
      this.commands.release();
    }
  }

  /** The task's test command, or the environment's for tasks that name none. */
  testCommandOf(task: RolloutTask): string {
    return task.test_command ?? this.options.testCommand!;
  }
}

class RepoSession {
  private submitted: { commit: string; patch: string } | undefined;

  constructor(
    private readonly env: RepoEnvironment,
    private readonly workspace: Workspace,
    private readonly base: string,
    private readonly task: RolloutTask,
  ) {}

  private get options(): RepoEnvOptions {
    return this.env.options;
  }

  async call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    switch (name) {
      case "bash": {
        const command = stringArgument(args, "command", name);
        if (typeof command !== "string") return command;
        const size = Buffer.byteLength(command);
        if (size > MAX_COMMAND_BYTES) return { content: `bash: the command is ${size} bytes; one command can be at most ${MAX_COMMAND_BYTES} (write long scripts to a file with edit)`, isError: true };
        const result = await this.env.limited(() => this.workspace.run(command, this.options.sandbox.limits.timeoutMs));
        return { content: describeRun(result, this.options.sandbox.limits), isError: result.timedOut || result.memoryExceeded || result.exitCode !== 0 };
      }
      case "view":
        return this.view(args);
      case "edit":
        return this.edit(args);
      case "submit": {
        let submitted: { commit: string; patch: string };
        try {
          submitted = await this.snapshot();
        } catch (error) {
          if (error instanceof SandboxTreeError || error instanceof SandboxGitError) return { content: `submit: ${error.message}`, isError: true };
          throw error;
        }
        this.submitted = submitted;
        const files = (submitted.patch.match(/^diff --git /gm) ?? []).length;
        return { content: `submitted: ${files} file${files === 1 ? "" : "s"} changed`, isError: false, submitted: submitted.patch };
      }
      default:
        return { content: `unknown tool ${JSON.stringify(name)}; the tools are ${TOOLS.map((t) => t.name).join(", ")}`, isError: true };
    }
  }

  async reward(): Promise<RewardOutcome> {
    let submitted: { commit: string; patch: string };
    try {
      submitted = this.submitted ?? (await this.snapshot());
    } catch (error) {
      if (error instanceof SandboxTreeError || error instanceof SandboxGitError) return { reward: 0, success: false, reason: "no-patch", detail: error.message };
      throw error;
    }
    const store = this.workspace.store;
    const tested = this.task.test_files?.length ? await store.restore(submitted.commit, this.base, this.task.test_files) : submitted.commit;
    const timeoutMs = this.options.testTimeoutMs;
    const result = await this.env.limited(async () => {
      // a fresh box holding exactly the submitted patch (and the protected test files as they were)
      const box = await this.env.start(tested, this.workspace);
      try {
        // SWE-bench's test patch goes on top of the put-back test files, applied inside the box
        const refused = this.task.test_patch ? await box.apply([{ text: this.task.test_patch, args: ["--whitespace=nowarn"] }]) : undefined;
        if (refused) return { refused: refused.message };
        return await box.run(this.env.testCommandOf(this.task), timeoutMs);
      } finally {
        await box.close();
      }
    });
    if ("refused" in result) return { reward: 0, success: false, reason: "tests-failed", detail: `the task's test patch does not apply to the submitted tree: ${result.refused}`, submittedPatch: submitted.patch };
    const outcome: RewardOutcome = result.timedOut
      ? { reward: 0, success: false, reason: "tests-timeout", detail: `the test command ran past ${timeoutMs} ms` }
      : result.exitCode === 0
        ? { reward: 1, success: true, reason: "tests-passed", detail: "the test command exited 0" }
        : { reward: 0, success: false, reason: "tests-failed", detail: `the test command ${result.memoryExceeded ? `${memoryLimitReached(this.options.sandbox.limits)} and ` : ""}exited ${result.exitCode ?? result.signal}: ${lastLine(result.output)}` };
    outcome.submittedPatch = submitted.patch;
    return outcome;
  }

  /** The box's files as a commit of acc's store, and the patch from the base commit to it. */
  private async snapshot(): Promise<{ commit: string; patch: string }> {
    const { limits } = this.options.sandbox;
    const { commit } = await this.env.limited(() => this.workspace.snapshot(this.base));
    return { commit, patch: await this.workspace.store.diff(this.base, commit, 4 * limits.outputBytes + 1024 * 1024) };
  }

  /** Runs one of the tool scripts in the box, as a tool call (its time limit, at most `jobs` at once). */
  private script(script: string, args: string[], options: { stdin?: Buffer; maxStdout?: number } = {}): Promise<ExecResult> {
    return this.env.limited(() => this.workspace.box.exec(["sh", "-c", script, "acc", ...args], options));
  }

  private async view(args: Record<string, unknown>): Promise<ToolResult> {
    const path = stringArgument(args, "path", "view");
    if (typeof path !== "string") return path;
    const start = integerArgument(args, "start_line", "view", 1);
    if (typeof start !== "number") return start;
    const endArgument = integerArgument(args, "end_line", "view", start + VIEW_LINES - 1);
    if (typeof endArgument !== "number") return endArgument;
    if (start < 1 || endArgument < start) return { content: `view: the range ${start}-${endArgument} is empty`, isError: true };
    const { maxChars } = this.options;
    const result = await this.script(VIEW, [path, String(start), String(endArgument), String(4 * maxChars)]);
    const failed = this.failure("view", path, result);
    if (failed) return failed;
    if (result.stderr.startsWith("folder")) {
      // a folder: find's type letters and names
      const names = result.stdout.toString("utf8").split("\0").filter((entry) => entry.length > 2).map((entry) => (entry[0] === "d" ? `${entry.slice(2)}/` : entry.slice(2)));
      return { content: capText(names.filter((name) => name !== ".git/").sort().join("\n") || "(empty directory)", maxChars), isError: false };
    }
    const total = Number(result.stderr.trim());
    const lines = result.stdout.toString("utf8").replace(/\n$/, "").split("\n");
    if (start > total) return { content: `view: the range ${start}-${endArgument} is empty (the file has ${total} lines)`, isError: true };
    const end = Math.min(endArgument, total);
    const shown = lines.slice(0, end - start + 1).map((line, i) => `${String(start + i).padStart(5)}  ${line}`);
    const more = end < total ? `\n(lines ${start}-${end} of ${total})` : "";
    return { content: capText(shown.join("\n") + more, maxChars), isError: false };
  }

  private async edit(args: Record<string, unknown>): Promise<ToolResult> {
    const path = stringArgument(args, "path", "edit");
    if (typeof path !== "string") return path;
    const oldText = stringArgument(args, "old_str", "edit");
    if (typeof oldText !== "string") return oldText;
    const newText = stringArgument(args, "new_str", "edit");
    if (typeof newText !== "string") return newText;
    if (oldText === "") {
      const created = await this.script(WRITE, [path, "create"], { stdin: Buffer.from(newText, "utf8") });
      if (created.exitCode === EXISTS) return { content: `edit: ${path} exists; give old_str to change it`, isError: true };
      return this.failure("edit", path, created) ?? { content: `created ${path}`, isError: false };
    }
    const read = await this.script(READ, [path, String(MAX_EDIT_BYTES + 1)], { maxStdout: MAX_EDIT_BYTES + 1 });
    const failed = this.failure("edit", path, read);
    if (failed) return failed;
    if (read.stdout.length > MAX_EDIT_BYTES) return { content: `edit: ${path} is larger than ${MAX_EDIT_BYTES} bytes; change it with bash`, isError: true };
    let current: string;
    try {
      current = new TextDecoder("utf-8", { fatal: true }).decode(read.stdout);
    } catch {
      return { content: `edit: ${path} is not UTF-8 text; change it with bash`, isError: true };
    }
    const count = current.split(oldText).length - 1;
    if (count !== 1) return { content: `edit: old_str appears ${count} times in ${path}; it must appear exactly once (add surrounding lines)`, isError: true };
    const written = await this.script(WRITE, [path, "replace"], { stdin: Buffer.from(current.replace(oldText, () => newText), "utf8") });
    return this.failure("edit", path, written) ?? { content: `edited ${path}`, isError: false };
  }

  /** The error result of a tool script that did not succeed, or undefined when it did. */
  private failure(tool: string, path: string, result: ExecResult): ToolResult | undefined {
    if (result.timedOut) return { content: `${tool}: ${path} did not answer within ${this.options.sandbox.limits.timeoutMs} ms (a FIFO or a device?)`, isError: true };
    if (result.exitCode === 0 && !result.overflowed) return undefined;
    if (result.exitCode === MISSING) return { content: `${tool}: ${path} does not exist`, isError: true };
    if (result.exitCode === SPECIAL) return { content: `${tool}: ${path} is not a regular file or a directory`, isError: true };
    if (result.overflowed) return { content: `${tool}: ${path}: the output passed ${this.options.sandbox.limits.outputBytes} bytes`, isError: true };
    return { content: `${tool}: ${path}: ${result.stderr.trim().split("\n").at(-1) || `exit ${result.exitCode ?? result.signal}`}`, isError: true };
  }
}

function describeRun(result: RunResult, limits: SandboxLimits): string {
  let status: string;
  if (result.timedOut) status = `[stopped after ${limits.timeoutMs} ms]`;
  else if (result.overflowed) status = `[stopped: the output passed ${limits.outputBytes} bytes]`;
  else if (result.memoryExceeded) status = `[${memoryLimitReached(limits)}; exit code ${result.exitCode ?? result.signal}]`;
  else if (result.signal) status = `[killed by ${result.signal}]`;
  else if (result.exitCode !== null && result.exitCode > 128) {
    // the shell reports a child killed by a signal as 128 + its number
    const signal = Object.entries(constants.signals).find(([, n]) => n === result.exitCode! - 128)?.[0] ?? `signal ${result.exitCode - 128}`;
    status = `[exit code ${result.exitCode}: killed by ${signal}]`;
  } else status = `[exit code ${result.exitCode}]`;
  return result.output === "" ? status : `${result.output.replace(/\n$/, "")}\n${status}`;
}

function lastLine(output: string): string {
  return output.trim().split("\n").at(-1)?.slice(0, 200) ?? "";
}
