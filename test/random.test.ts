import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../src/random.js";

test("Random: same seed and name give the same stream; another name or seed gives another", () => {
  const a = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Random(1, "x")));
  const b = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Random(1, "x")));
  const c = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Random(1, "y")));
  const d = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Random(2, "x")));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, d);
});

test("Random: next() is in [0,1) and roughly uniform; int() covers its range; shuffle is a permutation", () => {
  const r = new Random(7, "stats");
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]++;
  }
  for (const n of buckets) assert.ok(Math.abs(n - 10_000) < 500, `bucket ${n}`);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(r.int(3, 7));
  assert.deepEqual([...seen].sort(), [3, 4, 5, 6, 7]);
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = r.shuffle(items);
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual([...shuffled].sort((x, y) => x - y), items);
});
