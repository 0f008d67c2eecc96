import assert from "node:assert/strict";
import { test } from "node:test";
import { AccError } from "../../src/errors/acc-error.js";
import { WorkerPool } from "../../src/run/worker-pool.js";

test("a worker's error reaches the pool as data: an AccError with its code and fix, a system error with its path; the worker keeps serving", async () => {
  const pool = new WorkerPool<string>(new URL("./fixtures/failing-worker.ts", import.meta.url), 1);
  try {
    const acc = await pool.run("acc").catch((error: unknown) => error);
    assert.ok(AccError.isInstance(acc));
    assert.deepEqual([acc.message, acc.code, acc.fix], ["the task failed", "no-records", "ask for ok"]);
    const system = (await pool.run("system").catch((error: unknown) => error)) as NodeJS.ErrnoException;
    assert.deepEqual([system.code, system.path], ["ENOENT", "/nonexistent/worker-input"]);
    assert.equal(await pool.run("ok"), "ok");
  } finally {
    await pool.close();
  }
});
