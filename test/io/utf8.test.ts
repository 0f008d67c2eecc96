import assert from "node:assert/strict";
import { test } from "node:test";
import { utf8Concat } from "../../src/io/utf8.js";

test("utf8Concat gives the bytes of the joined parts, whatever characters each part holds", () => {
  const cases = [
    ["plain ascii\n", "", "café “quoted” ✓ 字\n", "emoji 🙂 and a pair \ud83d\ude00\n", "x".repeat(10_000), "\n", "é"],
    // a pair cut between two parts stays one character; lone halves become U+FFFD as Buffer.from makes them
    ["cut \ud83d", "\ude00 pair", " lone \ud800 and \udc00"],
    ["ends on a high half \ud83d"],
    [],
  ];
  for (const parts of cases) assert.deepEqual(utf8Concat(parts), Buffer.from(parts.join(""), "utf8"), JSON.stringify(parts));
});
