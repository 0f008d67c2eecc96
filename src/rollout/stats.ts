import type { Episode, OverlongReason } from "../records/rollout.js";

export interface RolloutStatsData {
  groups: number;
  episodes: number;
  finished: number;
  successes: number;
  errors: number;
  overlong: Record<OverlongReason, number>;
  /** Episodes trained (finished) and their rows. */
  in_loss: number;
  rows: number;
  summaries: number;
  segments: number;
  steps: number;
  prompt_tokens: number;
  completion_tokens: number;
  summary_tokens: number;
  trained_tokens: number;
  truncated_steps: number;
  format_errors: number;
  tool_calls: number;
  tool_errors: number;
  prefix_breaks: number;
  prediction_misses: number;
  /** Groups whose baseline episodes all had the same reward: every advantage is 0, nothing to learn. */
  zero_advantage_groups: number;
  /** Episodes that summarized at least once, and how many of them succeeded. */
  summarized: number;
  summarized_successes: number;
}

/** Counts over a rollout run; its JSON form is the checkpoint's and stats.json. */
export class RolloutStats {
  readonly data: RolloutStatsData;

  constructor(data?: RolloutStatsData) {
    this.data = data ?? {
      groups: 0,
      episodes: 0,
      finished: 0,
      successes: 0,
      errors: 0,
      overlong: { "step-cap": 0, "summary-cap": 0, window: 0 },
      in_loss: 0,
      rows: 0,
      summaries: 0,
      segments: 0,
      steps: 0,
      prompt_tokens: 0,
      completion_tokens: 0,
      summary_tokens: 0,
      trained_tokens: 0,
      truncated_steps: 0,
      format_errors: 0,
      tool_calls: 0,
      tool_errors: 0,
      prefix_breaks: 0,
      prediction_misses: 0,
      zero_advantage_groups: 0,
      summarized: 0,
      summarized_successes: 0,
    };
  }

  group(episodes: readonly Episode[], rows: number): void {
    const d = this.data;
    d.groups++;
    d.rows += rows;
    const baseline = episodes.filter((e) => e.in_baseline).map((e) => e.reward);
    if (baseline.length > 0 && baseline.every((r) => r === baseline[0])) d.zero_advantage_groups++;
    for (const e of episodes) {
      d.episodes++;
      if (e.finished) d.finished++;
      if (e.success) d.successes++;
      if (e.stop_reason === "error") d.errors++;
      if (e.overlong_reason) d.overlong[e.overlong_reason]++;
      if (e.in_loss) d.in_loss++;
      const c = e.counts;
      d.summaries += c.summaries;
      d.segments += c.segments;
      d.steps += c.steps;
      d.prompt_tokens += c.prompt_tokens;
      d.completion_tokens += c.completion_tokens;
      d.summary_tokens += c.summary_tokens;
      d.trained_tokens += c.trained_tokens;
      d.truncated_steps += c.truncated_steps;
      d.format_errors += c.format_errors;
      d.tool_calls += c.tool_calls;
      d.tool_errors += c.tool_errors;
      d.prefix_breaks += c.prefix_breaks;
      d.prediction_misses += c.prediction_misses;
      if (c.summaries > 0) {
        d.summarized++;
        if (e.success) d.summarized_successes++;
      }
    }
  }

  /** A share in [0, 1], 0 for an empty denominator. */
  static share(part: number, whole: number): number {
    return whole === 0 ? 0 : part / whole;
  }
}
