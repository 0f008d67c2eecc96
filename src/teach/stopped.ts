import { AccError } from "../errors/acc-error.js";
import type { LlmError } from "../llm/types.js";

/**
 * The teacher endpoint failed past what retries and the circuit breaker allow; the checkpoint is saved.
 * `acc teach` gives it for the LlmError teachRun stops on (a library caller gets the LlmError itself): its
 * message and code, with the fix a user of the command needs.
 */
export class TeachStopped extends AccError {
  override name = "TeachStopped";
}

export function teachStopped(error: LlmError): TeachStopped {
  return new TeachStopped(error.message, { code: error.code, cause: error, fix: "the run stopped and its progress is saved: rerun the same command to resume" });
}
