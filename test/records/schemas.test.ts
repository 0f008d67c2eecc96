import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { renderJsonSchemas } from "../../src/records/json-schema.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { formatProblems, validate } from "../../src/records/validate.js";

test("docs/schemas is generated from the runtime schemas and up to date (npm run docs:schemas)", () => {
  for (const [name, text] of Object.entries(renderJsonSchemas())) {
    const onDisk = readFileSync(join(import.meta.dirname, `../../docs/schemas/${name}.schema.json`), "utf8");
    assert.equal(onDisk, text, `docs/schemas/${name}.schema.json is stale: run npm run docs:schemas`);
  }
});

test("validation errors name the path, what was expected and what was received", () => {
  const result = validate(Trajectory, {
    schema: "acc.trajectory",
    schema_version: "1.0.0",
    id: 5,
    messages: [{ role: "robot", content: "x" }],
  });
  assert.equal(result.ok, false);
  const text = formatProblems(result.ok ? [] : result.problems);
  assert.match(text, /at id: expected string, received number 5/);
  assert.match(text, /at messages\[0\]\.role: expected one of "system" \| "user" \| "assistant" \| "tool", received string "robot"/);
  assert.match(text, /at source: expected object, received nothing/);
});
