import { readJsonLines } from "../import/probe.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import type { Environment } from "../envs/types.js";
import { RolloutTask } from "../records/rollout.js";
import { formatProblems, validate } from "../records/validate.js";
import { UsageError } from "../errors/acc-error.js";

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
    const checked = validate(RolloutTask, line.value);
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
