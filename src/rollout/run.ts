import { fileIdentity, keyHash } from "../io/checkpoint.js";
import { makeDirectory } from "../io/directory.js";
import { join } from "node:path";
import { createEnvironment, type EnvSettings, type EnvSpec } from "../envs/index.js";
import type { Environment } from "../envs/types.js";
import { createClient } from "../llm/client.js";
import type { ClientOptions, LlmClient } from "../llm/types.js";
import { Random } from "../random.js";
import type { Episode, RolloutRow, RolloutStep, RolloutTask } from "../records/rollout.js";
import type { Trajectory } from "../records/trajectory.js";
import { Stage } from "../run/stage.js";
import { resolveTokenizer } from "../tokenize/resolve.js";
import type { Tokenizer } from "../tokenize/types.js";
import { groupAdvantages } from "./advantages.js";
import { contextManager } from "./context.js";
import { type EpisodeDeps, runEpisode } from "./episode.js";
import { writeRowsParquet } from "./parquet.js";
import { Policy } from "./policy.js";
import { PromptPredictor } from "./prompt.js";
import { nativeProtocol, textProtocol } from "./protocol.js";
import { episodeRows } from "./rows.js";
import { RolloutStats, type RolloutStatsData } from "./stats.js";
import { readTasks, TaskFileError } from "./tasks.js";
import { ChatTemplateText } from "./template.js";
import { episodeTrajectory } from "./trajectory.js";
import type { EpisodeSettings } from "./types.js";
import { inShard, type Shard } from "../shard/partition.js";
import type { RemoteStage } from "../queue/remote.js";
import { failedGroup, groupFromJob, rolloutSettings, unqueueable } from "./queue.js";

export interface RolloutRunOptions {
  /** JSONL file of rollout tasks. */
  tasks: string;
  /** Folder for steps.jsonl, episodes.jsonl, rows.jsonl, rows.parquet, trajectories.jsonl and stats.json. */
  outDir: string;
  env: EnvSpec;
  envSettings: EnvSettings;
  /** The policy's endpoint (its concurrency bounds requests in flight); absent with `queue` (the workers have theirs). */
  client?: ClientOptions;
  /** Run the groups through a queue (`--queue`): each task is a job for `acc worker rollout`; this process runs no episode. */
  queue?: { label: string; open(run: string, settings: Record<string, unknown>): Promise<RemoteStage> };
  /** The external summarizer (context `external`): its own endpoint and model, or the policy's. */
  summarizer?: { client?: ClientOptions; model: string };
  episode: Omit<EpisodeSettings, "protocol"> & { protocol: "native" | "text" };
  /** Episodes per task (the GRPO group size G). */
  groupSize: number;
  seed: number;
  /** The policy's tokenizer (must be the served model's). */
  tokenizer: string;
  /** Episodes in flight at once. */
  concurrency: number;
  /** Run only this shard's tasks (by task id), and write what `acc merge` needs. */
  shard?: Shard;
  onProgress?: (groupsDone: number, groupsTotal: number, stats: RolloutStats) => void;
}

export const OUTPUTS = ["steps", "episodes", "rows", "trajectories"] as const;
export type Output = (typeof OUTPUTS)[number];

/**
 * Finished groups held per group running, waiting for those before them to be written. Episodes vary in
 * length by tens of steps; with only the groups running held, one long episode at the head stopped every
 * new group once those behind it were done. A held group keeps its lines (token ids included) in memory.
 */
const HELD_GROUPS = 4;

export interface GroupResult {
  lines: Record<Output, string[]>;
  episodes: Episode[];
  rows: number;
}

/**
 * Runs G episodes per task and writes their records. Groups are written in task order, each with a
 * checkpoint after it: a run killed at any point and rerun with the same options does not run the groups
 * already written again, and ends with the same files as an uninterrupted run (given a deterministic server).
 */
export async function rolloutRun(options: RolloutRunOptions): Promise<RolloutStats> {
  await makeDirectory(options.outDir);
  const env = await createEnvironment(options.env, options.envSettings);
  let groups: GroupRunner | undefined;
  let queue: RemoteStage | undefined;
  try {
    const tasks = await readTasks(options.tasks, env);
    const tokenizer = await resolveTokenizer(options.tokenizer);
    const run = await fingerprintOf(options, env, tokenizer);
    const local = options.queue ? unqueueable(tasks) : undefined;
    if (local) throw new TaskFileError(`${options.tasks}: task ${JSON.stringify(local.id)} names its own database (db), which acc worker rollout does not open: run it without --queue, or put it in --env`);
    const stage = await Stage.open({
      name: "rollout",
      outDir: options.outDir,
      files: OUTPUTS.map((name) => `${name}.jsonl`),
      run,
      ...(options.shard ? { shard: options.shard } : {}),
      stats: (saved) => new RolloutStats(saved as RolloutStatsData | undefined),
    });
    const { stats } = stage;
    try {
      if (options.queue) queue = await options.queue.open(options.shard ? keyHash([run, options.shard]) : run, await rolloutSettings(options, env, tokenizer));
      else groups = new GroupRunner(options, env, tokenizer);
    } catch (error) {
      await stage.close();
      throw error;
    }
    const runGroup = async ({ task, index }: { task: RolloutTask; index: number }) => {
      if (!queue) return { task, index, group: await groups!.run(task, index) };
      const outcome = await queue.process(task.id, index, task);
      const result = outcome.ok ? groupFromJob(outcome.value, task, options.groupSize) : { malformed: `job failed: ${outcome.reason} (${outcome.attempts} attempts)` };
      return { task, index, group: "malformed" in result ? failedGroup(options, env, task, result.malformed) : result };
    };
    const mine = tasks.map((task, index) => ({ task, index })).filter(({ task }) => inShard(task.id, options.shard));
    const groupsRunning = Math.max(1, Math.floor(options.concurrency / options.groupSize));
    return await stage.run({
      inputs: iterate(mine.slice(stage.done)),
      process: runGroup,
      write: ({ task, index, group }, out) => {
        // the group's lines end with their newline (a queue worker's are checked to)
        for (const [i, name] of OUTPUTS.entries()) for (const text of group.lines[name]) out.line(i, text.slice(0, -1));
        out.record(index);
        stats.group(group.episodes, group.rows);
        out.release(task.id);
      },
      // a long episode at the head must not stop the groups behind it: groups keep starting while the
      // finished ones wait for their turn, HELD_GROUPS times as many as run
      window: { running: groupsRunning, held: HELD_GROUPS * groupsRunning },
      // the checkpoint holds its result now
      release: async (ids) => await queue?.forget(ids),
      onCheckpoint: (done) => options.onProgress?.(done, mine.length, stats),
      finish: async () => void (await writeRowsParquet(join(options.outDir, "rows.jsonl"), join(options.outDir, "rows.parquet"))),
    });
  } finally {
    await Promise.all([env.close(), groups?.close(), queue?.close()]);
  }
}

/**
 * Runs the G episodes of a task with this process's policy client (and summarizer): the local run's, and each
 * `acc worker rollout`'s with its own endpoint, environment and sandbox.
 */
export class GroupRunner {
  private readonly clients: LlmClient[] = [];
  private readonly deps: RunDeps;

  constructor(
    private readonly options: Pick<RolloutRunOptions, "client" | "summarizer" | "episode" | "groupSize" | "seed">,
    private readonly env: Environment,
    tokenizer: Tokenizer,
  ) {
    // invariant: rolloutRun always passes the client it made; only a caller of the library could forget it
    if (!options.client) throw new Error("GroupRunner: a client is required");
    const client = createClient(options.client);
    this.clients.push(client);
    const summarizerClient = options.summarizer?.client ? createClient(options.summarizer.client) : client;
    if (summarizerClient !== client) this.clients.push(summarizerClient);
    this.deps = episodeDeps(options, env, tokenizer, client, summarizerClient);
  }

  /** The G episodes of the `index`-th task, with their advantages, rows and trajectories. */
  async run(task: RolloutTask, index: number): Promise<GroupResult> {
    const { options, deps, env } = this;
    const outputs = await Promise.all(
      Array.from({ length: options.groupSize }, (_, i) =>
        runEpisode({ ...deps.episode, predictor: new PromptPredictor(deps.text, deps.tokenizer) }, { task, groupId: task.id, sampleIndex: i, seed: episodeSeed(options.seed, task.id, i) }),
      ),
    );
    const advantages = groupAdvantages(outputs.map((o) => o.episode));
    const lines: Record<Output, string[]> = { steps: [], episodes: [], rows: [], trajectories: [] };
    let rows = 0;
    outputs.forEach((output, i) => {
      output.episode.advantage = advantages[i]!;
      for (const step of output.steps) lines.steps.push(line<RolloutStep>(step));
      lines.episodes.push(line<Episode>(output.episode));
      for (const row of episodeRows(output.episode, output.steps)) {
        lines.rows.push(line<RolloutRow>(row));
        rows++;
      }
      const position = index * options.groupSize + i;
      lines.trajectories.push(line<Trajectory>(episodeTrajectory(env, task, output, { file: "trajectories.jsonl", index: position })));
    });
    return { lines, episodes: outputs.map((o) => o.episode), rows };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

interface RunDeps {
  episode: Omit<EpisodeDeps, "predictor">;
  tokenizer: Tokenizer;
  text: ChatTemplateText;
}

function episodeDeps(options: Pick<RolloutRunOptions, "summarizer" | "episode">, env: Environment, tokenizer: Tokenizer, client: LlmClient, summarizerClient: LlmClient): RunDeps {
  const protocol = options.episode.protocol === "native" ? nativeProtocol : textProtocol;
  const settings: EpisodeSettings = { ...options.episode, protocol };
  const tools = protocol.requestTools(env.tools);
  const text = new ChatTemplateText(tokenizer, { ...(tools ? { tools } : {}), ...(settings.thinking !== undefined ? { enableThinking: settings.thinking } : {}) });
  const policy = new Policy(client, settings, tokenizer, text, env.tools, settings.context.window);
  const episode: Omit<EpisodeDeps, "predictor"> = { env, policy, manager: contextManager(settings.context), settings };
  if (settings.context.kind === "external") episode.summarizer = { client: summarizerClient, model: options.summarizer?.model ?? settings.model };
  return { episode, tokenizer, text };
}

const line = <T>(record: T) => `${JSON.stringify(record)}\n`;

/** The sampling seed of one episode: from the run's seed, the task and the sample index (31 bits, as servers take). */
export function episodeSeed(seed: number, taskId: string, sampleIndex: number): number {
  return new Random(seed, `episode:${taskId}:${sampleIndex}`).nextUint32() & 0x7fffffff;
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

/** Same tasks, environment data and settings → same fingerprint → a rerun resumes. The API key is not part of it. */
async function fingerprintOf(options: RolloutRunOptions, env: Environment, tokenizer: Tokenizer): Promise<string> {
  const key = ({
    tasks: await fileIdentity(options.tasks),
    env: [options.env, options.envSettings, await env.fingerprint()],
    endpoint: options.client?.endpoint ?? options.queue!.label,
    summarizer: options.summarizer ? [options.summarizer.client?.endpoint, options.summarizer.model] : null,
    episode: options.episode,
    groupSize: options.groupSize,
    seed: options.seed,
    tokenizer: tokenizer.info,
  });
  return keyHash(key);
}


