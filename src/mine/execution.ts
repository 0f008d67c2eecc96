import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { killGroup } from "../run/process-group.js";
import { Git } from "./git.js";

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
  /** Repository holding the commits. */
  repo: string;
  base: string;
  patch: string;
  testPatch: string;
  /** Test files the test patch touches, passed to the command as ACC_TEST_FILES (one per line). */
  testFiles: readonly string[];
  command: string;
  timeoutSeconds: number;
}

const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

let sandboxPrefix: string[] | null | undefined;

/**
 * How to run a command without network: a new network namespace through `unshare -rn` (unprivileged user
 * namespace) or `unshare -n` (root); null when neither works here, and the command then runs with network.
 */
export function networkSandbox(): string[] | null {
  if (sandboxPrefix !== undefined) return sandboxPrefix;
  sandboxPrefix = null;
  for (const prefix of [["unshare", "-rn"], ["unshare", "-n"]]) {
    if (spawnSync(prefix[0]!, [...prefix.slice(1), "true"], { stdio: "ignore" }).status === 0) {
      sandboxPrefix = prefix;
      break;
    }
  }
  return sandboxPrefix;
}

/**
 * Runs the tests twice, each time in a fresh export of `base` (`git archive`, so no history is visible):
 * before = base + test patch, after = base + test patch + gold patch. FAIL_TO_PASS are the tests that pass
 * after but not before; PASS_TO_PASS pass both times (SWE-bench's rule).
 */
export async function validateStage(input: ValidationInput): Promise<StageValidation> {
  const before = await runInExport(input, [input.testPatch]);
  const after = await runInExport(input, [input.testPatch, input.patch]);
  const passedBefore = new Set(before.passed);
  return {
    command: input.command,
    network_isolated: networkSandbox() !== null,
    timeout_seconds: input.timeoutSeconds,
    before,
    after,
    FAIL_TO_PASS: after.passed.filter((t) => !passedBefore.has(t)),
    PASS_TO_PASS: after.passed.filter((t) => passedBefore.has(t)),
  };
}

async function runInExport(input: ValidationInput, patches: readonly string[]): Promise<TestRun> {
  const dir = await mkdtemp(join(tmpdir(), "acc-mine-run-"));
  try {
    await extract(new Git(input.repo), input.base, dir);
    // The ceiling keeps `git apply` from finding an enclosing repository: it applies to the plain files.
    const plain = new Git(dir);
    for (const patch of patches) {
      if (patch) await plain.output(["apply", "--binary", "--whitespace=nowarn", "-"], { input: patch, env: { GIT_CEILING_DIRECTORIES: dirname(dir) } });
    }
    return await runCommand(input, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes the tree of `commit` into `dir` through a tar archive (no .git, no history). */
async function extract(git: Git, commit: string, dir: string): Promise<void> {
  const archive = `${dir}.tar`;
  try {
    await git.output(["archive", "--format=tar", "-o", archive, commit]);
    const tar = spawnSync("tar", ["-x", "-f", archive, "-C", dir], { encoding: "utf8" });
    if (tar.status !== 0) throw new Error(`tar -x of ${commit} from ${git.repo} into ${dir} failed (exit ${tar.status}): ${(tar.stderr ?? tar.error?.message ?? "").trim()}`);
  } finally {
    await rm(archive, { force: true });
  }
}

function runCommand(input: ValidationInput, cwd: string): Promise<TestRun> {
  const prefix = networkSandbox() ?? [];
  const argv = [...prefix, "sh", "-c", input.command];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    detached: true, // its own process group, so a timeout kills everything it started
    env: { ...process.env, ACC_TEST_FILES: input.testFiles.join("\n") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: Buffer[] = [];
  let size = 0;
  const collect = (chunk: Buffer) => {
    if (size < MAX_OUTPUT_BYTES) chunks.push(chunk);
    size += chunk.length;
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, input.timeoutSeconds * 1000);
  return new Promise((resolve, reject) => {
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run test command \`${input.command}\`: ${error.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const results = parseTestOutput(Buffer.concat(chunks).toString("utf8"), input.command, timedOut ? null : code);
      resolve({ exit_code: timedOut ? null : code, timed_out: timedOut, ...results });
    });
  });
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
