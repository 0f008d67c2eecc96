import { createHash } from "node:crypto";
import type { Trajectory } from "../records/trajectory.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { SftConversation } from "./sft.js";
import type { TokenRow } from "./token-rows.js";

/**
 * The task a trajectory ran: its id (the GRPO group: every trajectory of one task shares it) and the
 * prompt a trainer starts a rollout from (the messages before the first assistant turn).
 */
export interface RlTask {
  id: string;
  prompt: { role: string; content: string }[];
  ground_truth: string | null;
  domain: string;
}

export function rlTask(t: Trajectory, conversation: SftConversation): RlTask {
  const first = conversation.messages.findIndex((m) => m.role === "assistant");
  const prompt = conversation.messages.slice(0, first === -1 ? conversation.messages.length : first).map(({ role, content }) => ({ role, content }));
  const id = t.task.instance_id ?? `task-${createHash("sha256").update(JSON.stringify(prompt)).digest("hex").slice(0, 16)}`;
  return { id, prompt, ground_truth: t.task.ground_truth, domain: t.domain };
}

/**
 * A row verl's agent loop returns (`AgentLoopOutput` in verl/experimental/agent_loop/agent_loop.py):
 * `num_turns` counted as its tool agent loop counts it (user and tool turns + assistant turns + 1),
 * `reward_score` the trajectory's reward, `metrics` empty (its fields have defaults); acc's own fields
 * are in `extra_fields`, which verl carries through untouched.
 */
export function verlRow(t: Trajectory, task: RlTask, row: TokenRow, index: number, count: number): Record<string, unknown> {
  return {
    prompt_ids: row.prompt_ids,
    response_ids: row.response_ids,
    response_mask: row.response_mask,
    response_logprobs: row.response_logprobs,
    reward_score: t.outcome.reward,
    num_turns: row.assistant_turns + row.other_turns + 1,
    metrics: {},
    extra_fields: { uid: task.id, trajectory_id: t.id, row_index: index, rows_in_trajectory: count, token_source: row.token_source },
  };
}

/** A row of verl's prompt file (`RLHFDataset`, as its examples/data_preprocess scripts write them). */
export function verlPrompt(task: RlTask, index: number, tools: readonly Record<string, unknown>[]): Record<string, unknown> {
  return {
    data_source: `acc/${task.domain}`,
    prompt: task.prompt,
    ability: task.domain,
    reward_model: { style: "rule", ground_truth: task.ground_truth },
    extra_info: { index, split: "train", task_id: task.id, tools: JSON.stringify(tools) },
    agent_name: "tool_agent",
  };
}

/**
 * A slime `Sample` as `Sample.to_dict()` writes it and `Sample.from_dict()` reads it
 * (slime/utils/types.py): `tokens` is prompt and response, `loss_mask` and `rollout_log_probs` cover
 * the response (`response_length` tokens); rows of one trajectory share `rollout_id`, as slime asks of
 * samples cut from one rollout; `group_index` is the task's.
 */
export function slimeSample(t: Trajectory, task: RlTask, row: TokenRow, at: { group: number; index: number; rollout: number }, tokenizer: Tokenizer): Record<string, unknown> {
  return {
    group_index: at.group,
    index: at.index,
    rollout_id: at.rollout,
    prompt: task.prompt,
    tokens: [...row.prompt_ids, ...row.response_ids],
    response: tokenizer.decode(row.response_ids),
    response_length: row.response_ids.length,
    label: task.ground_truth,
    reward: t.outcome.reward,
    loss_mask: row.response_mask,
    rollout_log_probs: row.response_logprobs,
    status: t.outcome.exit_status === "step-cap" || t.outcome.exit_status === "window" || t.outcome.exit_status === "summary-cap" ? "truncated" : "completed",
    metadata: { task_id: task.id, trajectory_id: t.id, token_source: row.token_source },
  };
}

/** A line of slime's prompt data (`--input-key prompt --label-key label --tool-key tools --metadata-key metadata`). */
export function slimePrompt(task: RlTask, tools: readonly Record<string, unknown>[]): Record<string, unknown> {
  return { prompt: task.prompt, label: task.ground_truth, tools, metadata: { task_id: task.id } };
}
