import assert from "node:assert/strict";
import { test } from "node:test";
import { orderedMap } from "../../src/run/worker-pool.js";

async function* numbers(count: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i++) yield i;
}

/** Answers later for lower numbers, so results finish out of order. */
const late = (i: number) => new Promise<number>((resolve) => setTimeout(() => resolve(i), (i % 7) * 2));

test("orderedMap: values given at once and promises come out in input order, never more than the window in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  const run = (i: number): number | Promise<number> => {
    if (i % 3 === 0) return i; // no wait: a value, not a promise
    inFlight++;
    peak = Math.max(peak, inFlight);
    return late(i).then((value) => {
      inFlight--;
      return value;
    });
  };
  const seen: number[] = [];
  for await (const value of orderedMap(numbers(60), run, 8)) seen.push(value);
  assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => i));
  assert.ok(peak <= 8, `peak ${peak}`);
});

test("orderedMap: a throw counts as its input's failure, in its turn: the results before it come out first", async () => {
  const run = (i: number): number | Promise<number> => {
    if (i === 5) throw new Error("bad input 5");
    return i % 2 === 0 ? i : late(i);
  };
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const value of orderedMap(numbers(20), run, 4)) seen.push(value);
  }, /bad input 5/);
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
});
