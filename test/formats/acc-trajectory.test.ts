import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

test("acc-trajectory: acc's own output imports back unchanged (ids, sources, pairing kept)", { skip: SAMPLES_MISSING }, async () => {
  const first = await importAll([sample("openai-chat-tau-bench/gpt-4o-airline.json")]);
  const file = join(tempDir(), "trajectories.jsonl");
  writeFileSync(file, first.trajectories.map((t) => JSON.stringify(t)).join("\n"));
  const second = await importAll([file]);
  assert.equal(second.rejects.length, 0);
  assert.deepEqual(second.trajectories, first.trajectories);
});

test("acc-trajectory: a record that breaks the schema is rejected with the path of the problem", async () => {
  const file = join(tempDir(), "bad.jsonl");
  writeFileSync(file, `${JSON.stringify({ schema: "acc.trajectory", schema_version: "1.0.0", id: "x", messages: "no" })}\n`);
  const { trajectories, rejects } = await importAll([file]);
  assert.equal(trajectories.length, 0);
  assert.equal(rejects[0]?.code, "wrong-shape");
  assert.match(rejects[0]!.reason, /at messages: expected array/);
});

test("acc-trajectory: the record of redacted secrets survives a re-import without redaction", async () => {
  const file = join(tempDir(), "in.jsonl");
  writeFileSync(file, `${JSON.stringify({ messages: [{ role: "user", content: "my key is AKIAIOSFODNN7EXAMPLQ" }, { role: "assistant", content: "ok" }] })}\n`);
  const first = await importAll([file], { redact: "on" });
  assert.deepEqual(first.trajectories[0]!.secrets, { mode: "redacted", counts: { "aws-access-key": 1 } });
  const again = join(tempDir(), "again.jsonl");
  writeFileSync(again, `${JSON.stringify(first.trajectories[0])}\n`);
  const second = await importAll([again], { redact: "off" });
  assert.deepEqual(second.trajectories[0], first.trajectories[0]);
});
