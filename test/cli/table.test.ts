import assert from "node:assert/strict";
import { test } from "node:test";
import { formatNumber } from "../../src/cli/table.js";

test("integers are grouped as en-US writes them, without loading ICU's formats", () => {
  const values = [0, 7, 12, 999, 1000, 1234, 99_999, 123_456, 1_000_000, 12_345_678_901, Number.MAX_SAFE_INTEGER, 1e21, 2.5e22];
  for (const value of values.flatMap((v) => [v, -v]).filter((v) => !Object.is(v, -0))) {
    assert.equal(formatNumber(value), value.toLocaleString("en-US"), String(value));
  }
  assert.equal(formatNumber(1.5), "1.50");
});
