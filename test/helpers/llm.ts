import assert from "node:assert/strict";
import { LlmError } from "../../src/llm/types.js";

/** The LlmError a call fails with (the test fails if it succeeds or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LlmError, `expected an LlmError, got ${error}`);
    return error;
  }
  assert.fail("expected the call to fail");
}
