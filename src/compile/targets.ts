import type { Sample } from "../records/sample.js";
import type { Trajectory } from "../records/trajectory.js";

export type Target = Sample["target"];

/**
 * `--targets trajectory`: the ground-truth answer when the task has one, else the agent's final
 * answer; the agent's final reasoning as the trace. Undefined when there is no answer at all.
 */
export function trajectoryTarget(trajectory: Trajectory): Target | undefined {
  const truth = trajectory.task.ground_truth;
  const answer = truth ?? trajectory.final.answer;
  if (answer === null || answer.trim() === "") return undefined;
  const reasoning = trajectory.final.reasoning;
  return {
    answer,
    reasoning,
    answer_origin: truth !== null ? "ground_truth" : "agent_final",
    reasoning_origin: reasoning !== null ? "agent_final" : "none",
  };
}
