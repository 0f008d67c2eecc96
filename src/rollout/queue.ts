import { AccError } from "../errors/acc-error.js";
import type { Environment } from "../envs/types.js";
import { isRecord } from "../json.js";
import type { StageHandler } from "../queue/worker.js";
import { Episode, ROLLOUT_SCHEMA_VERSION, RolloutTask } from "../records/rollout.js";
import { formatProblems, validate } from "../records/validate.js";
import type { Tokenizer } from "../tokenize/types.js";
import { createEnvironment } from "../envs/index.js";
import { resolveTokenizer } from "../tokenize/resolve.js";
import { episodeSeed, type GroupResult, GroupRunner, type Output, OUTPUTS, type RolloutRunOptions } from "./run.js";

export type RolloutWorkerOptions = Pick<RolloutRunOptions, "env" | "envSettings" | "client" | "summarizer" | "episode" | "groupSize" | "seed" | "tokenizer">;

/**
 * What `acc worker rollout` serves with: this machine's environment (its sandbox from its own settings), tokenizer
 * and policy client; `close` releases them.
 */
export async function openRolloutWorker(options: RolloutWorkerOptions): Promise<{ handler: StageHandler; close(): Promise<void> }> {
  const env = await createEnvironment(options.env, options.envSettings);
  try {
    const tokenizer = await resolveTokenizer(options.tokenizer);
    const settings = await rolloutSettings(options, env, tokenizer);
    const groups = new GroupRunner(options, env, tokenizer);
    return { handler: rolloutHandler(groups, env, settings), close: async () => void (await Promise.all([groups.close(), env.close()])) };
  } catch (error) {
    await env.close();
    throw error;
  }
}

/**
 * The settings a rollout job carries: all that shapes a group's records (episode settings, group size, seed,
 * the tokenizer's vocabulary and template, the environment's settings and a portable identity of its data),
 * and nothing of one machine's: no endpoint, key, path or count of processes. The box's limits and whether
 * it is bypassed are compared, never taken from the job: each worker runs tools in its own sandbox, set up
 * from its own flags, and refuses a job enqueued with other ones.
 */
export async function rolloutSettings(
  options: Pick<RolloutRunOptions, "env" | "envSettings" | "summarizer" | "episode" | "groupSize" | "seed">,
  env: Environment,
  tokenizer: Tokenizer,
): Promise<Record<string, unknown>> {
  const { sandbox, jobs: _jobs, ...envSettings } = options.envSettings;
  const { name: _name, ...vocabulary } = tokenizer.info;
  return {
    env: options.env.kind,
    data: portableIdentity(await env.fingerprint()),
    envSettings: { ...envSettings, sandboxLimits: sandbox.limits, unsafe: sandbox.unsafe },
    summarizer: options.summarizer?.model ?? null,
    episode: options.episode,
    groupSize: options.groupSize,
    seed: options.seed,
    tokenizer: vocabulary,
  };
}

/** What of an environment's data identifies it on any machine: a file's size, a repository's HEAD (not paths, nor times). */
function portableIdentity(fingerprint: unknown): unknown {
  if (!isRecord(fingerprint)) return null;
  return { size: fingerprint.size ?? null, head: fingerprint.head ?? null, index: fingerprint.index ?? null };
}

/** A worker's rollout: each job's task, checked as the producer checked it, run as a group in this worker's environment. */
function rolloutHandler(groups: GroupRunner, env: Environment, settings: Record<string, unknown>): StageHandler {
  return {
    stage: "rollout",
    settings,
    process: async (record, line) => {
      // a job is input from the network: the task passes the schema and the environment's own check
      const checked = validate(RolloutTask, record);
      if (!checked.ok) throw new AccError(`the job's record is not a rollout task: ${formatProblems(checked.problems)}`, { code: "invalid-job" });
      // a path of this machine is never taken from the network: the worker's data is its own --env
      if (checked.value.db !== undefined) throw new AccError(`the job's task ${JSON.stringify(checked.value.id)} names a database (db); a queued task runs on the worker's --env`, { code: "invalid-job" });
      const problem = env.checkTask(checked.value);
      if (problem !== undefined) throw new AccError(`the job's task ${JSON.stringify(checked.value.id)}: ${problem}`, { code: "invalid-job" });
      const group = await groups.run(checked.value, line);
      return { lines: group.lines };
    },
  };
}

/** Tasks that cannot be queued: a task's own database (db) is a path of the producer's machine, which workers never open. */
export function unqueueable(tasks: readonly RolloutTask[]): RolloutTask | undefined {
  return tasks.find((task) => task.db !== undefined);
}

/** A worker's group, checked: whole JSON lines of each output, G episodes of this task. */
export function groupFromJob(value: unknown, task: RolloutTask, groupSize: number): GroupResult | { malformed: string } {
  const malformed = (why: string) => ({ malformed: `the worker's result is malformed: ${why}` });
  const lines = isRecord(value) ? value.lines : undefined;
  if (!isRecord(lines)) return malformed("no lines");
  for (const name of OUTPUTS) {
    const list = lines[name];
    if (!Array.isArray(list) || !list.every((l) => typeof l === "string" && l.endsWith("\n") && l.indexOf("\n") === l.length - 1)) return malformed(`${name} is not a list of JSON lines`);
  }
  const episodes: Episode[] = [];
  for (const text of lines.episodes as string[]) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return malformed("an episode is not JSON");
    }
    const checked = validate(Episode, parsed);
    if (!checked.ok) return malformed(`an episode is invalid: ${formatProblems(checked.problems)}`);
    if (checked.value.task_id !== task.id) return malformed(`it holds an episode of task ${JSON.stringify(checked.value.task_id)}`);
    episodes.push(checked.value);
  }
  if (episodes.length !== groupSize) return malformed(`${episodes.length} episodes, not ${groupSize}`);
  return { lines: lines as Record<Output, string[]>, episodes, rows: (lines.rows as string[]).length };
}

/**
 * A group whose job failed on every attempt (a poisoned task) or came back malformed: its G episodes stopped on
 * that error, out of the baseline and the loss, with no steps, rows or trajectories.
 */
export function failedGroup(options: Pick<RolloutRunOptions, "episode" | "seed" | "groupSize">, env: Environment, task: RolloutTask, error: string): GroupResult {
  const episodes = Array.from({ length: options.groupSize }, (_, i): Episode => ({
    schema: "acc.episode",
    schema_version: ROLLOUT_SCHEMA_VERSION,
    id: `${task.id}#${i}`,
    group_id: task.id,
    task_id: task.id,
    sample_index: i,
    env: env.name,
    context: options.episode.context.kind,
    model: options.episode.model,
    seed: episodeSeed(options.seed, task.id, i),
    finished: false,
    stop_reason: "error",
    overlong: false,
    overlong_reason: null,
    error,
    final_answer: null,
    reward: 0,
    success: false,
    verdict: { reason: "error", detail: error },
    advantage: 0,
    in_baseline: false,
    in_loss: false,
    counts: { steps: 0, action_steps: 0, summaries: 0, segments: 0, tool_calls: 0, tool_errors: 0, format_errors: 0, truncated_steps: 0, prompt_tokens: 0, completion_tokens: 0, summary_tokens: 0, trained_tokens: 0, prefix_breaks: 0, prediction_misses: 0 },
    segments: [],
  }));
  return { lines: { steps: [], episodes: episodes.map((e) => `${JSON.stringify(e)}\n`), rows: [], trajectories: [] }, episodes, rows: 0 };
}
