import assert from "node:assert/strict";
import { test } from "node:test";
import { utf8Concat } from "../../src/io/utf8.js";

test("utf8Concat gives the bytes of the joined parts, whatever characters each part holds", () => {
  const parts = ["plain ascii\n", "", "café “quoted” ✓ 字\n", "emoji 🙂 and a pair \ud83d\ude00\n", "x".repeat(10_000), "\n", "é"];
  assert.deepEqual(utf8Concat(parts), Buffer.from(parts.join(""), "utf8"));
  assert.equal(utf8Concat([]).length, 0);
});
