import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { AccError } from "../../src/errors/acc-error.js";
import { readJsonFile } from "../../src/io/json-file.js";
import { readCheckpoint } from "../../src/io/checkpoint.js";
import { ORDER_FILE } from "../../src/shard/manifest.js";
import { mergedOrder, readShards, summedStats } from "../../src/shard/merge.js";
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

test("acc merge: a torn stats.json (usage, exit 2) or a damaged order line (exit 1) is one error naming the file (and line), not a SyntaxError or a TypeError", async () => {
  const shard = (index: number) => {
    const dir = join(tempDir(), `shard-${index}`);
    mkdirSync(dir);
    const manifest = { stage: "compile", shard: { index, count: 2 }, run: "r", files: ["samples.jsonl", "rejects.jsonl"] };
    writeFileSync(join(dir, "shard.json"), JSON.stringify(manifest));
    writeFileSync(join(dir, "stats.json"), '{"read": 2}');
    writeFileSync(join(dir, ORDER_FILE), "[0,1,0]\n[2,1,0]\n");
    return { dir, manifest };
  };
  const shards = [shard(0), shard(1)];
  assert.deepEqual(await summedStats(shards), { read: 4 });
  assert.equal((await mergedOrder(shards)).length, 4);
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail("expected a refusal"),
      (e: unknown) => (assert.ok(AccError.isInstance(e), String(e)), e),
    );
  writeFileSync(join(shards[1]!.dir, "stats.json"), '{"read": 2');
  const torn = await refusal(summedStats(shards));
  assert.equal(torn.exitCode, 2);
  assert.match(torn.message, /^not a stage's stats: .*shard-1\/stats\.json: invalid JSON: /);
  for (const line of ['{"ordinal": 0}', "[0,1]", "[0,-1,0]", "[0,1,0"]) {
    writeFileSync(join(shards[0]!.dir, ORDER_FILE), `[0,1,0]\n${line}\n`);
    const damaged = await refusal(mergedOrder(shards));
    assert.equal(damaged.line, 2, line);
    assert.match(damaged.message, /shard-0\/shard-order\.jsonl line 2: not \[ordinal, then a line count for each of the 2 files\]/);
  }
});

test("readCheckpoint: a checkpoint of the right fingerprint whose fields do not fit is not resumed (the run starts afresh, no TypeError later)", async () => {
  const path = join(tempDir(), ".stage-state.json");
  const schema = z.object({ fingerprint: z.string(), done: z.number().int().nonnegative(), bytes: z.array(z.number()) });
  writeFileSync(path, JSON.stringify({ fingerprint: "f", done: 3, bytes: [10] }));
  assert.deepEqual(await readCheckpoint(path, "f", schema), { fingerprint: "f", done: 3, bytes: [10] });
  assert.equal(await readCheckpoint(path, "other", schema), undefined);
  writeFileSync(path, JSON.stringify({ fingerprint: "f", done: 3 }));
  assert.equal(await readCheckpoint(path, "f", schema), undefined);
  writeFileSync(path, '{"fingerprint": "f", "do');
  assert.equal(await readCheckpoint(path, "f", schema), undefined);
});
