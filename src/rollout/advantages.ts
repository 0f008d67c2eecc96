import type { Episode } from "../records/rollout.js";

/** verl's epsilon under the standard deviation. */
export const ADVANTAGE_EPSILON = 1e-6;

/**
 * GRPO advantages over the episodes of one group (SUPO Eq. 3): (reward − mean) / (std + ε), with the mean
 * and the (unbiased, as torch.std) standard deviation taken over the episodes in the baseline. Overlong
 * episodes stay in the baseline but are out of the loss (their rows are masked); episodes that ended in an
 * error are in neither and get 0. A group with one baseline episode uses mean 0 and std 1, as verl does.
 * The advantage is per episode and is broadcast to every segment (row) of it.
 */
export function groupAdvantages(episodes: readonly Pick<Episode, "reward" | "in_baseline">[]): number[] {
  const rewards = episodes.filter((e) => e.in_baseline).map((e) => e.reward);
  let mean = 0;
  let std = 1;
  if (rewards.length > 1) {
    mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    std = Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (rewards.length - 1));
  }
  return episodes.map((e) => (e.in_baseline ? (e.reward - mean) / (std + ADVANTAGE_EPSILON) : 0));
}
