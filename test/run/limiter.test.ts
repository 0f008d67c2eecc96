import assert from "node:assert/strict";
import { test } from "node:test";
import { Limiter } from "../../src/run/limiter.js";

test("limiter: never more than the limit at once, waiters served in order, aborted waiters skipped", async () => {
  const limiter = new Limiter(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  const controller = new AbortController();
  const task = async (i: number, signal?: AbortSignal) => {
    await limiter.acquire(signal);
    active++;
    peak = Math.max(peak, active);
    order.push(i);
    await new Promise(setImmediate);
    active--;
    limiter.release();
  };
  const runs = Array.from({ length: 3000 }, (_, i) => task(i, i === 5 ? controller.signal : undefined));
  controller.abort(new Error("stop"));
  const settled = await Promise.allSettled(runs);
  assert.equal(peak, 2);
  assert.equal(settled.filter((s) => s.status === "rejected").length, 1);
  assert.deepEqual(order, Array.from({ length: 3000 }, (_, i) => i).filter((i) => i !== 5));
  assert.throws(() => new Limiter(0), /positive integer/);
});
