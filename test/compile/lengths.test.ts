import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseLengthSpec } from "../../src/compile/lengths.js";
import { UsageError } from "../../src/errors/acc-error.js";
import { tempDir } from "../helpers/collect.js";

function histogram(text: string): string {
  const path = join(tempDir(), "lengths.json");
  writeFileSync(path, text);
  return path;
}

test("lengths: a histogram file as JSON or CSV gives its bins", () => {
  const json = histogram('[{"min": 1000, "max": 4000, "weight": 3}, {"min": 4000, "max": 8000, "weight": 1}]');
  assert.deepEqual(parseLengthSpec(`histogram:${json}`), { kind: "histogram", bins: [{ min: 1000, max: 4000, weight: 3 }, { min: 4000, max: 8000, weight: 1 }] });
  const csv = histogram("min,max,weight\n1000,4000,3\n");
  assert.deepEqual(parseLengthSpec(`histogram:${csv}`), { kind: "histogram", bins: [{ min: 1000, max: 4000, weight: 3 }] });
});

test("lengths: a JSON histogram of another shape is a usage error naming the file and the bad field, never a crash", () => {
  // the old reader destructured each element as it came: null threw a TypeError, bad JSON a SyntaxError
  const cases: [string, RegExp][] = [
    ["[null]", /lengths\.json: expected \[\{min, max, weight\}\]: at \[0\]/],
    ['[{"min": "1000", "max": 4000, "weight": 1}]', /at \[0\]\.min/],
    ["[{", /lengths\.json: invalid JSON/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseLengthSpec(`histogram:${histogram(text)}`), (error: unknown) => error instanceof UsageError && reason.test(error.message), text);
  }
  assert.throws(() => parseLengthSpec(`histogram:${histogram('[{"min": 0, "max": 4, "weight": 1}]')}`), /bin 1: expected min,max,weight with 0 < min/);
});
