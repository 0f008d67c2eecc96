import assert from "node:assert/strict";
import { test } from "node:test";
import { isConnectionAbort, retryConnectionAborts } from "../../src/queue/connection.js";

/** As ioredis rejects a pipeline's or transaction's commands that a connection close cut (redis-errors' AbortError). */
class AbortError extends Error {
  override get name() {
    return this.constructor.name;
  }
}
const closed = () => new AbortError("Command aborted due to connection close");

test("an operation a Redis restart cut in two is sent again; any other error is thrown at once", async () => {
  assert.ok(isConnectionAbort(closed()));
  assert.ok(!isConnectionAbort(new Error("Command aborted due to connection close")));
  assert.ok(!isConnectionAbort(new AbortError("The operation was aborted")));

  let calls = 0;
  const value = await retryConnectionAborts(async () => {
    if (++calls < 3) throw closed();
    return "sent";
  }, 5, 1);
  assert.deepEqual([value, calls], ["sent", 3]);

  calls = 0;
  await assert.rejects(retryConnectionAborts(async () => { calls++; throw new TypeError("bug"); }, 5, 1), TypeError);
  assert.equal(calls, 1);

  calls = 0;
  await assert.rejects(retryConnectionAborts(async () => { calls++; throw closed(); }, 4, 1), /connection close/);
  assert.equal(calls, 4);
});
