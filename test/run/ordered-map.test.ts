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
  // a window that runs as many as it holds, and one that holds more
  for (const window of [4, { running: 3, held: 12 }]) {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const value of orderedMap(numbers(20), run, window)) seen.push(value);
    }, /bad input 5/);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  }
});

/** Calls that settle when told to, in any order, counting how many run at once. */
function gated() {
  const open = new Map<number, () => void>();
  let running = 0;
  let peak = 0;
  let started = 0;
  const run = (i: number): Promise<number> => {
    started++;
    running++;
    peak = Math.max(peak, running);
    return new Promise<number>((resolve) => open.set(i, () => resolve(i))).then((value) => {
      running--;
      return value;
    });
  };
  const settle = (i: number) => {
    open.get(i)!();
    open.delete(i);
  };
  return { run, settle, open, peak: () => peak, started: () => started };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test("orderedMap: with a window holding more than it runs, a slow head does not stop the calls behind it", async () => {
  for (const [window, startedWhileHeadWaits] of [
    [4, 4],
    [{ running: 4, held: 40 }, 40],
  ] as const) {
    const calls = gated();
    const seen: number[] = [];
    const done = (async () => {
      for await (const value of orderedMap(numbers(100), calls.run, window)) seen.push(value);
    })();
    // every call but the head's settles as soon as it runs, while the head waits
    for (let round = 0; round < 50; round++) {
      await turn();
      for (const i of [...calls.open.keys()]) if (i !== 0) calls.settle(i);
    }
    assert.equal(calls.started(), startedWhileHeadWaits, `calls started while the head waits (window ${JSON.stringify(window)})`);
    assert.deepEqual(seen, [], "nothing comes out before the head");
    calls.settle(0);
    for (let round = 0; round < 200 && seen.length < 100; round++) {
      await turn();
      for (const i of [...calls.open.keys()]) calls.settle(i);
    }
    await done;
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
    assert.ok(calls.peak() <= 4, `never more than 4 running (peak ${calls.peak()})`);
  }
});

test("orderedMap: beyond the calls running, the inputs held stay within their weight; a heavy input waits for room", async () => {
  const weights = [5, 5, 5, 5, 50, 5, 5, 5, 5, 5];
  const calls = gated();
  let heldPeak = 0;
  let yielded = 0;
  let started = 0;
  const run = (i: number) => {
    started++;
    const held = weights.slice(yielded, started).reduce((a, b) => a + b, 0);
    if (started - yielded > 2) heldPeak = Math.max(heldPeak, held);
    return calls.run(i);
  };
  const seen: number[] = [];
  const done = (async () => {
    for await (const value of orderedMap(numbers(10), run, { running: 2, held: 10, weight: (i) => weights[i]!, maxWeight: 20 })) {
      seen.push(value);
      yielded++;
    }
  })();
  for (let round = 0; round < 400 && seen.length < 10; round++) {
    await turn();
    // the head last: those behind it finish first
    const open = [...calls.open.keys()].sort((a, b) => b - a);
    if (open.length > 0) calls.settle(open[0]!);
  }
  await done;
  assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => i));
  assert.ok(heldPeak <= 20, `beyond the two running, at most a weight of 20 held (peak ${heldPeak})`);
  assert.ok(calls.peak() <= 2);
});

test("orderedMap: a consumer that stops early closes the inputs; a window that runs nothing is refused", async () => {
  let closed = false;
  async function* inputs() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  for await (const value of orderedMap(inputs(), (i: number) => Promise.resolve(i), { running: 3, held: 30 })) if (value === 5) break;
  assert.ok(closed, "the input generator was closed");
  await assert.rejects(async () => {
    for await (const _ of orderedMap(numbers(3), (i: number) => i, { running: 0, held: 4 })) void _;
  }, /at least 1 call/);
  await assert.rejects(async () => {
    for await (const _ of orderedMap(numbers(3), (i: number) => i, { running: 4, held: 2 })) void _;
  }, /holds at least as many/);
});
