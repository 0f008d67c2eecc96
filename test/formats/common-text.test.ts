import assert from "node:assert/strict";
import { test } from "node:test";
import { without } from "../../src/formats/common/text.js";

test("without: a hostile __proto__ key of a parsed record stays a field and never becomes the prototype", () => {
  const record = JSON.parse('{"role":"user","__proto__":{"polluted":true},"content":"x"}') as Record<string, unknown>;
  const rest = without(record, ["role"]);
  assert.equal(Object.getPrototypeOf(rest), Object.prototype);
  assert.equal((rest as { polluted?: unknown }).polluted, undefined);
  assert.deepEqual(Object.keys(rest), ["__proto__", "content"]);
  assert.equal(JSON.stringify(rest), '{"__proto__":{"polluted":true},"content":"x"}');
});
