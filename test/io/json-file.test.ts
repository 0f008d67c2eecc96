import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { AccError } from "../../src/errors/acc-error.js";
import { readJsonFile } from "../../src/io/json-file.js";
import { readShards } from "../../src/shard/merge.js";
import { tempDir } from "../helpers/collect.js";

test("readJsonFile: the value when it has the fields read (others kept), else why not, naming the file", async () => {
  const dir = tempDir();
  const schema = z.looseObject({ stage: z.string() });
  const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  assert.deepEqual(await readJsonFile(write("a.json", '{"stage":"compile","extra":1}'), schema), { ok: true, value: { stage: "compile", extra: 1 } });
  const wrong = write("b.json", '{"stage":7}');
  assert.deepEqual(await readJsonFile(wrong, schema), { ok: false, reason: `${wrong}: at stage: expected string, received number 7` });
  const torn = write("c.json", '{"stage":"comp');
  const notJson = await readJsonFile(torn, schema);
  assert.ok(!notJson.ok && notJson.reason.startsWith(`${torn}: invalid JSON: `));
  assert.deepEqual(await readJsonFile(join(dir, "none.json"), schema), { ok: false, reason: `cannot read ${join(dir, "none.json")}: ENOENT` });
});

test("acc merge: a damaged shard.json is one usage error naming the file, not a crash on a missing field", async () => {
  const shard = join(tempDir(), "shard-0");
  mkdirSync(shard);
  writeFileSync(join(shard, "shard.json"), JSON.stringify({ stage: "compile", run: "r", files: ["samples.jsonl"] }));
  const error = await readShards([shard]).then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(AccError.isInstance(error));
  assert.equal(error.exitCode, 2);
  assert.match(error.message, /^not a shard manifest: .*shard\.json: at shard: expected object, received /);
});
