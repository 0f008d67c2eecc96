import type { ChatMessage } from "../llm/types.js";
import type { Sample } from "../records/sample.js";
import type { Domain } from "../records/trajectory.js";
import { AccError } from "../errors/acc-error.js";

const FINAL_ANSWER =
  "Reason step by step from the documents, then end your reply with one line `Final answer: <answer>`, giving the answer alone, as briefly as the question allows.";

/** How the teacher is asked to write its answer, per domain, so that the final answer can be found and verified. */
export const ANSWER_FORMAT: Record<Domain, string> = {
  search: FINAL_ANSWER,
  generic: FINAL_ANSWER,
  sql: `${FINAL_ANSWER} If the answer is a table of values, list them one per line after the Final answer line.`,
  swe: "Reason step by step about the cause, then end your reply with the fix as one unified diff in git format (paths relative to the repository root, with a/ and b/ prefixes) inside a single ```diff block.",
};

/**
 * The teacher's request: the compiled prompt (system message, if any, and the user message; never the
 * target), with the answer format for the sample's domain added to the system message.
 */
export function teacherMessages(sample: Sample): ChatMessage[] {
  const format = ANSWER_FORMAT[sample.meta.domain];
  const system = sample.messages.find((m) => m.role === "system");
  const user = sample.messages.find((m) => m.role === "user");
  if (!user) throw new AccError(`sample ${sample.id} has no user message`, { code: "wrong-shape", fix: "teach reads samples from acc compile" });
  return [
    { role: "system", content: system ? `${system.content}\n\n${format}` : format },
    { role: "user", content: user.content },
  ];
}
