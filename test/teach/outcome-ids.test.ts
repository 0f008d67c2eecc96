import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AccError } from "../../src/errors/acc-error.js";
import { outcomeIds } from "../../src/teach/outcome-ids.js";
import { tempDir } from "../helpers/collect.js";

function outcomes(lines: string[]): string {
  const path = join(tempDir("acc-outcomes-"), "outcomes.jsonl.partial");
  writeFileSync(path, lines.map((line) => `${line}\n`).join(""));
  return path;
}

test("outcomeIds: the sample ids of the outcomes written, a line that was not a sample having none", async () => {
  const path = outcomes(['{"sample_id":"a","line":1,"outcome":"kept"}', '{"file":"in.jsonl","line":2,"outcome":"rejected","reason":"invalid-sample"}', '{"sample_id":"b","line":3}']);
  assert.deepEqual([...(await outcomeIds(path))], ["a", "b"]);
});

test("outcomeIds: a line that is not an outcome stops the resumed run with the file, the line and the field, never a SyntaxError or a wrong id", async () => {
  // the old reader (JSON.parse(line) as {sample_id?: string}) threw a SyntaxError on the first, a TypeError on the
  // second and took the number 5 as a sample id on the third
  const cases: [string, RegExp][] = [
    ["{cut", /:2: not an outcome this run wrote: invalid JSON/],
    ["null", /:2: not an outcome this run wrote: at \(root\): expected object, received null/],
    ['{"sample_id":5}', /:2: not an outcome this run wrote: at sample_id: expected string, received number 5/],
  ];
  for (const [line, message] of cases) {
    const path = outcomes(['{"sample_id":"a"}', line]);
    await assert.rejects(outcomeIds(path), (error) => AccError.isInstance(error) && error.code === "wrong-shape" && error.line === 2 && /remove it and run again/.test(error.fix ?? "") && new RegExp(`^${path}${message.source}`).test(error.message), line);
  }
});
