import type { Episode, RolloutRow, RolloutStep } from "../records/rollout.js";

interface Draft {
  segment: number;
  prompt: number[];
  response: number[];
  mask: (0 | 1)[];
  logprobs: number[] | null;
  turns: number;
  server: boolean;
}

/**
 * The verl-style training rows of an episode. Each segment's trained steps (summaries included, dropped
 * actions and external summaries not) form one row: the first step's prompt, then every completion
 * (mask 1, with its logprobs) and between completions the tokens the context added (observations,
 * template markers, the summary request; mask 0, logprob 0). A step whose prompt does not extend the
 * previous one starts a new row. Rows of an episode out of the loss have an all-zero mask; every row
 * carries the episode's reward and advantage.
 */
export function episodeRows(episode: Episode, steps: readonly RolloutStep[]): RolloutRow[] {
  const drafts: Draft[] = [];
  let row: Draft | undefined;
  for (const step of steps) {
    if (!step.trained) continue;
    if (!row || !step.prompt_delta || step.segment_index !== row.segment) {
      row = { segment: step.segment_index, prompt: [...step.prompt_ids], response: [], mask: [], logprobs: [], turns: 0, server: true };
      drafts.push(row);
    } else {
      append(row, step.prompt_ids, 0, null);
    }
    append(row, step.completion_ids, 1, step.logprobs);
    row.turns++;
    if (step.token_source !== "server") row.server = false;
  }
  return drafts.map((draft, i) => ({
    row_id: `${episode.id}/${i}`,
    uid: episode.group_id,
    episode_id: episode.id,
    segment_index: draft.segment,
    row_index: i,
    rows_in_episode: drafts.length,
    is_final_row: i === drafts.length - 1,
    prompt_ids: draft.prompt,
    response_ids: draft.response,
    response_mask: episode.in_loss ? draft.mask : draft.mask.map(() => 0 as const),
    response_logprobs: draft.logprobs,
    reward: episode.reward,
    advantage: episode.advantage,
    in_loss: episode.in_loss,
    overlong: episode.overlong,
    finished: episode.finished,
    num_turns: draft.turns,
    token_source: draft.server ? "server" : "tokenizer",
  }));
}

/** Ids with their mask; logprobs given for sampled ids (null makes the row's logprobs null), 0 elsewhere. */
function append(row: Draft, ids: readonly number[], mask: 0 | 1, logprobs: readonly number[] | null): void {
  for (const id of ids) {
    row.response.push(id);
    row.mask.push(mask);
  }
  if (row.logprobs === null) return;
  if (mask === 1 && logprobs === null) {
    row.logprobs = null;
    return;
  }
  for (let i = 0; i < ids.length; i++) row.logprobs.push(mask === 1 ? logprobs![i]! : 0);
}
