import { readJsonLines } from "../io/json-lines.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import type { Environment } from "../envs/types.js";
import { RolloutTask } from "../records/rollout.js";
import { formatProblems, validate } from "../records/validate.js";
import { UsageError } from "../errors/acc-error.js";
import { isRecord } from "../json.js";

/** A task file that cannot be run: the message names the file and line. */
export class TaskFileError extends UsageError {
  override name = "TaskFileError";
}

/**
 * Reads a JSONL file of rollout tasks and checks each against the schema and the environment (required
 * fields, files that must exist). Every problem is reported at once, each with its line.
 */
export async function readTasks(file: string, env: Environment): Promise<RolloutTask[]> {
  const tasks: RolloutTask[] = [];
  const problems: string[] = [];
  const lines = new Map<string, number>();
  for await (const line of readJsonLines(file, DEFAULT_MAX_LINE_BYTES)) {
    const where = `${file} line ${line.line}`;
    if ("error" in line) {
      problems.push(`${where}: ${line.detail}`);
      continue;
    }
    const checked = validate(RolloutTask, isSweBenchInstance(line.value) ? taskFromInstance(line.value) : line.value);
    if (!checked.ok) {
      problems.push(`${where}: not a rollout task: ${formatProblems(checked.problems)}`);
      continue;
    }
    const task = checked.value;
    const first = lines.get(task.id);
    if (first !== undefined) {
      problems.push(`${where}: task id ${JSON.stringify(task.id)} was already used on line ${first}`);
      continue;
    }
    lines.set(task.id, line.line);
    const problem = env.checkTask(task);
    if (problem !== undefined) problems.push(`${where}: task ${JSON.stringify(task.id)}: ${problem}`);
    else tasks.push(task);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join("\n");
    throw new TaskFileError(problems.length > 20 ? `${shown}\n… and ${problems.length - 20} more problems` : shown);
  }
  if (tasks.length === 0) throw new TaskFileError(`${file}: no tasks`);
  return tasks;
}

/** A SWE-bench task instance: a line of SWE-bench's own files, or of the stages.jsonl `acc mine` writes. */
interface SweBenchInstance {
  instance_id: string;
  problem_statement: string;
  base_commit: string;
  test_patch?: string;
  validation?: { command?: string };
  [key: string]: unknown;
}

function isSweBenchInstance(value: unknown): value is SweBenchInstance {
  return isRecord(value) && "instance_id" in value && "problem_statement" in value && "base_commit" in value && !("id" in value);
}

/**
 * The rollout task of a SWE-bench instance: the problem statement is the question; the test patch's files are
 * put back and the test patch applied before the tests run, so the agent's own edits to tests do not count;
 * the test command is the one `acc mine --test-cmd` validated the stage with, else rollout's --test-cmd.
 */
function taskFromInstance(instance: SweBenchInstance): unknown {
  const testPatch = typeof instance.test_patch === "string" && instance.test_patch !== "" ? instance.test_patch : undefined;
  const command = instance.validation?.command;
  const meta: Record<string, unknown> = {};
  for (const key of ["repo", "pull_number", "stage_label", "chain_ids", "FAIL_TO_PASS", "PASS_TO_PASS", "version"]) if (instance[key] !== undefined) meta[key] = instance[key];
  return {
    id: instance.instance_id,
    question: instance.problem_statement,
    base_commit: instance.base_commit,
    ...(typeof command === "string" ? { test_command: command } : {}),
    ...(testPatch !== undefined ? { test_patch: testPatch, test_files: patchPaths(testPatch) } : {}),
    meta: { source: "swe-bench-instance", ...meta },
  };
}

/** The paths a git patch touches (both sides of a rename), in order, once each. */
function patchPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const match of patch.matchAll(/^diff --git a\/(.+?) b\/(.+)$/gm)) {
    paths.add(match[1]!);
    paths.add(match[2]!);
  }
  return [...paths];
}
