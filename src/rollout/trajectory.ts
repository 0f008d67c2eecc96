import type { Environment } from "../envs/types.js";
import type { Episode, RolloutTask } from "../records/rollout.js";
import { type Message, TRAJECTORY_SCHEMA_VERSION, type ToolCall, type Trajectory, type TrajectoryEvent } from "../records/trajectory.js";
import type { EpisodeOutput, TranscriptEntry } from "./episode.js";

export interface TrajectorySource {
  /** The file the trajectory is written to, and the episode's position in it. */
  file: string;
  index: number;
}

/**
 * An episode as a canonical Trajectory (so `acc compile` can use rollouts): every message that happened,
 * across segments, in order, with the calls and results of the text protocol as tool calls and tool
 * messages. A summary is an event at the message where the next segment starts (its first user message:
 * task and summary); messages of earlier segments are `in_context: false`.
 */
export function episodeTrajectory(env: Environment, task: RolloutTask, output: EpisodeOutput, source: TrajectorySource): Trajectory {
  const { episode, submitted } = output;
  const messages: Message[] = [
    { role: "system", content: output.systemPrompt },
    { role: "user", content: task.question },
  ];
  const segments = [0, 0];
  const events: TrajectoryEvent[] = [];
  for (const entry of output.transcript) {
    if (entry.type === "summary") {
      const marker = entry.by === "policy" ? "supo-summary" : "external-summary";
      events.push({ kind: "summary", message_index: messages.length, trigger: "tokens", summary: entry.summary, marker, tokens_before: entry.promptTokens });
      continue;
    }
    for (const message of toMessages(entry)) {
      messages.push(message);
      segments.push(entry.segment);
    }
  }
  const last = episode.segments.length - 1;
  for (let i = 1; i < messages.length; i++) if (segments[i]! < last) messages[i]!.in_context = false;
  const final = episode.final_answer;
  return {
    schema: "acc.trajectory",
    schema_version: TRAJECTORY_SCHEMA_VERSION,
    id: episode.id,
    source: { format: "acc-rollout", file: source.file, locator: { index: source.index } },
    domain: env.domain,
    domain_origin: "given",
    model: episode.model,
    task: { question: task.question, question_origin: "dataset_field", system_prompt: output.systemPrompt, ground_truth: null, instance_id: task.id, ...env.trajectoryTask(task) },
    tools: env.tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.parameters })),
    messages,
    final: { answer: final, reasoning: null, kind: final === null ? "none" : episode.stop_reason === "submit" ? "submit_call" : submitted.sql !== undefined ? "sql" : "message" },
    outcome: {
      success: episode.success,
      reward: episode.reward,
      label_source: `acc.rollout.${episode.verdict.reason}`,
      submitted_patch: submitted.patch ?? null,
      submitted_sql: submitted.sql ?? null,
      exit_status: episode.stop_reason,
    },
    events,
    subagents: [],
    extra: extraOf(episode),
  };
}

function extraOf(episode: Episode): Record<string, unknown> {
  return { group_id: episode.group_id, sample_index: episode.sample_index, context: episode.context, advantage: episode.advantage, overlong_reason: episode.overlong_reason };
}

function toMessages(entry: Extract<TranscriptEntry, { type: "message" }>): Message[] {
  const { message, calls, results } = entry;
  const content = message.content ?? "";
  if (message.role === "assistant") {
    const native = (message.tool_calls?.length ?? 0) > 0;
    return [{ role: "assistant", content: message.content, reasoning: message.reasoning_content ?? null, tool_calls: (calls ?? []).map((call) => toolCall(call, native)) }];
  }
  if (message.role === "tool" && calls && results) {
    return [{ role: "tool", call_id: calls[0]!.id, name: calls[0]!.name, content, is_error: results[0]!.isError, pairing: "id" }];
  }
  if (message.role === "user" && calls && results) {
    // the text protocol's results, carried in one user message
    return calls.map((call, i) => ({ role: "tool", call_id: call.id, name: call.name, content: results[i]!.content, is_error: results[i]!.isError, pairing: "id", source_role: "user" }));
  }
  return [{ role: message.role === "system" ? "system" : "user", content }];
}

function toolCall(call: NonNullable<Extract<TranscriptEntry, { type: "message" }>["calls"]>[number], native: boolean): ToolCall {
  const out: ToolCall = { id: call.id, id_origin: native ? "source" : "synthesised", name: call.name, raw_arguments: call.rawArguments, arguments: call.args ?? null, type: native ? "function" : "text" };
  if (call.error !== undefined) out.arguments_error = call.error;
  return out;
}
