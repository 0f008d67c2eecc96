import { requireSandbox, resolveCommit, type SandboxSettings, sourceGitDir, Workspace } from "../run/sandbox/index.js";
import { MineError } from "./errors.js";

export interface TestRun {
  exit_code: number | null;
  timed_out: boolean;
  passed: string[];
  failed: string[];
}

export interface StageValidation {
  command: string;
  network_isolated: boolean;
  timeout_seconds: number;
  before: TestRun;
  after: TestRun;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
}

export interface ValidationInput {
  /** Repository holding the commits (only its objects are read). */
  repo: string;
  base: string;
  patch: string;
  testPatch: string;
  /** Test files the test patch touches, passed to the command as ACC_TEST_FILES (one per line). */
  testFiles: readonly string[];
  command: string;
  timeoutSeconds: number;
  /** The box the tests run in (its time limit is replaced by timeoutSeconds). */
  sandbox: SandboxSettings;
}

/** Refuses (SandboxUnavailable) before any work when tests are asked for and the sandbox cannot run them. */
export function checkTestSandbox(sandbox: SandboxSettings): Promise<void> {
  return requireSandbox("mine --test-cmd", sandbox.unsafe);
}

/**
 * Runs the tests twice, each time in a fresh box holding the tree of `base` (no history): before = base +
 * test patch, after = base + test patch + gold patch. FAIL_TO_PASS are the tests that pass after but not
 * before; PASS_TO_PASS pass both times (SWE-bench's rule).
 */
export async function validateStage(input: ValidationInput): Promise<StageValidation> {
  const gitDir = await sourceGitDir(input.repo);
  const base = await resolveCommit(gitDir, input.base);
  const before = await runInBox(input, gitDir, base, [input.testPatch]);
  const after = await runInBox(input, gitDir, base, [input.testPatch, input.patch]);
  const passedBefore = new Set(before.passed);
  return {
    command: input.command,
    network_isolated: !input.sandbox.unsafe,
    timeout_seconds: input.timeoutSeconds,
    before,
    after,
    FAIL_TO_PASS: after.passed.filter((t) => !passedBefore.has(t)),
    PASS_TO_PASS: after.passed.filter((t) => passedBefore.has(t)),
  };
}

async function runInBox(input: ValidationInput, gitDir: string, base: string, patches: readonly string[]): Promise<TestRun> {
  const timeoutMs = input.timeoutSeconds * 1000;
  const workspace = await Workspace.open({ ...input.sandbox, limits: { ...input.sandbox.limits, timeoutMs } }, gitDir);
  try {
    await workspace.load(base);
    const refused = await workspace.apply(patches.filter(Boolean).map((text) => ({ text, args: ["--binary", "--whitespace=nowarn"] })));
    if (refused) throw new MineError(`\`git apply --binary --whitespace=nowarn -\` failed on the tree of ${base} in the box: ${refused.message}`, { code: "git" });
    const result = await workspace.box.exec(["sh", "-c", input.command], { timeoutMs, env: { ACC_TEST_FILES: input.testFiles.join("\n") } });
    const finished = !result.timedOut && !result.overflowed;
    const output = `${result.stdout.toString("utf8")}\n${result.stderr}`;
    const exitCode = finished ? result.exitCode : null;
    return { exit_code: exitCode, timed_out: result.timedOut, ...parseTestOutput(output, input.command, exitCode) };
  } finally {
    await workspace.close();
  }
}

/**
 * Test results from TAP lines (`ok 1 - name`, `not ok 2 - name`; SKIP and TODO directives ignored). When
 * the output has no TAP line, the command as a whole is one test that passes on exit code 0.
 */
export function parseTestOutput(output: string, command: string, exitCode: number | null): { passed: string[]; failed: string[] } {
  const status = new Map<string, boolean>();
  for (const line of output.split("\n")) {
    const match = /^\s*(not ok|ok)\b(?:\s+(\d+))?(?:\s+-)?\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const [name, directive] = splitDirective(match[3]!);
    if (/^(skip|todo)\b/i.test(directive)) continue;
    const id = name || `#${match[2] ?? status.size + 1}`;
    status.set(id, (status.get(id) ?? true) && match[1] === "ok");
  }
  if (status.size === 0) status.set(command, exitCode === 0);
  const names = [...status.keys()].sort();
  return { passed: names.filter((n) => status.get(n)), failed: names.filter((n) => !status.get(n)) };
}

function splitDirective(text: string): [string, string] {
  const hash = text.search(/\s#\s/);
  return hash === -1 ? [text, ""] : [text.slice(0, hash).trim(), text.slice(hash + 3).trim()];
}
