import assert from "node:assert/strict";
import { test } from "node:test";
import { DistractorPool } from "../../src/compile/distractor-pool.js";
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
