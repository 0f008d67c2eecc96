import type { z } from "zod";
import { Episode, RolloutRow, RolloutStep, RolloutTask } from "./rollout.js";
import { Chain, Link, MineReject, PullRequest, StageInstance } from "./mine.js";
import { EvidencePiece, Sample } from "./sample.js";
import { Trajectory } from "./trajectory.js";
import { AtifTrajectory } from "./atif.js";

/** Every record that has a published JSON Schema in docs/schemas/<name>.schema.json. */
export const recordSchemas: Record<string, z.ZodType> = {
  trajectory: Trajectory,
  "evidence-piece": EvidencePiece,
  sample: Sample,
  "pull-request": PullRequest,
  link: Link,
  chain: Chain,
  "stage-instance": StageInstance,
  "mine-reject": MineReject,
  "rollout-task": RolloutTask,
  "rollout-step": RolloutStep,
  episode: Episode,
  "rollout-row": RolloutRow,
  atif: AtifTrajectory,
};
