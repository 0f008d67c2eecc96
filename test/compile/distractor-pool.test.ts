import assert from "node:assert/strict";
import { test } from "node:test";
import { DistractorPool, type PoolLogEntry } from "../../src/compile/distractor-pool.js";
import type { EvidencePiece } from "../../src/records/sample.js";

const piece = (i: number, chars: number): EvidencePiece => ({
  id: `p${i}`,
  kind: "page",
  source: `s${i}`,
  text: "x".repeat(chars),
  role: "evidence",
  origins: [{ trajectory_id: `t${i}` }],
});

test("distractor pool: bounded by pieces and characters while offered far more; seeded; every piece becomes a distractor", () => {
  const fill = (seed: number) => {
    const pool = new DistractorPool(seed, 50, 5_000, 20_000);
    for (let i = 0; i < 2_000; i++) pool.offer("search", [piece(i, 100 + (i % 7) * 300)]);
    pool.offer("search", [piece(99_999, 6_000)]);
    return pool.toJSON().search!;
  };
  const pieces = fill(1);
  assert.ok(pieces.length > 0 && pieces.length <= 50);
  assert.ok(pieces.reduce((n, p) => n + p.text.length, 0) <= 20_000);
  assert.ok(pieces.every((p) => p.role === "distractor" && p.text.length <= 5_000));
  assert.ok(pieces.some((p) => Number(p.id.slice(1)) > 1_000), "late pieces get their chance");
  assert.deepEqual(fill(1).map((p) => p.id), pieces.map((p) => p.id));
  assert.notDeepEqual(fill(2).map((p) => p.id), pieces.map((p) => p.id));
});

test("distractor pool: restored from its checkpoint and its log, it takes the pieces after as the pool that went on", () => {
  const whole = new DistractorPool(3, 20, 5_000, 8_000);
  let part = new DistractorPool(3, 20, 5_000, 8_000);
  const log: string[] = [];
  for (let i = 0; i < 1_000; i++) {
    // every 5th piece offered twice: met again, it is not offered again after a restore either
    const pieces = [piece(i, 100 + (i % 7) * 300), ...(i % 5 === 0 && i > 0 ? [piece(i - 1, 100)] : [])];
    whole.offer("search", pieces);
    log.push(...part.offer("search", pieces).log);
    if (i % 250 === 249) part = new DistractorPool(3, 20, 5_000, 8_000, { checkpoint: JSON.parse(JSON.stringify(part.checkpoint())), log: log.map((line) => JSON.parse(line) as PoolLogEntry) });
  }
  assert.deepEqual(part.toJSON(), whole.toJSON());
  assert.deepEqual(part.checkpoint(), whole.checkpoint());
  assert.equal(log.length, 1_000, "one line per piece met");
});
