import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exportTrajectories } from "../../src/export/trajectories.js";
import { loadQwen3 } from "../../src/tokenize/qwen3.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_MISSING, sample } from "../helpers/samples.js";

const qwen3 = await loadQwen3();
const IM_START = qwen3.specialTokens.all.get("<|im_start|>")!;

type Row = { id: string; input_ids: number[]; labels: number[] };

test("--max-tokens: tau-bench rows cut where messages start; every piece fits, and the pieces' trained tokens put together are the whole row's", { skip: SAMPLES_MISSING }, async () => {
  const input = sample("openai-chat-tau-bench/gpt-4o-airline.json");
  const raw = (JSON.parse(readFileSync(input, "utf8")) as unknown[]).slice(0, 3);
  const { trajectories } = await importAll([input]);
  const file = join(tempDir(), "t.jsonl");
  writeFileSync(file, trajectories.slice(0, raw.length).map((t) => JSON.stringify(t)).join("\n"));
  const rows = async (maxTokens?: number) => {
    const out = tempDir();
    const stats = await exportTrajectories({ inputs: [file], outDir: out, target: "trl", tokenizer: qwen3, ...(maxTokens ? { maxTokens } : {}) });
    return { stats, rows: readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row) };
  };
  const whole = await rows();
  const budget = 2000; // over each run's system prompt (1,270-1,724 tokens), under two of the three rows
  const cut = await rows(budget);
  assert.ok(cut.rows.length > whole.rows.length, "some rows were cut");
  const trajectoryOf = (id: string) => id.split("#")[0]!;
  for (const t of trajectories.slice(0, raw.length)) {
    const trained = (list: Row[]) => list.filter((r) => trajectoryOf(r.id) === t.id).flatMap((r) => r.labels.filter((l) => l !== -100));
    assert.deepEqual(trained(cut.rows), trained(whole.rows), `trained tokens of ${t.id}`);
    const pieces = cut.rows.filter((r) => trajectoryOf(r.id) === t.id);
    assert.deepEqual(pieces.map((r) => r.id), pieces.length === 1 ? [t.id] : pieces.map((_, k) => `${t.id}#${k}`));
    for (const piece of pieces) {
      assert.ok(piece.input_ids.length <= budget);
      assert.equal(piece.input_ids[0], IM_START, "a piece starts where a message starts");
      assert.ok(piece.labels.some((l) => l !== -100), "no piece without a trained token");
    }
  }
  // A budget smaller than one message: refused with the message and its size, nothing cut inside it.
  await assert.rejects(rows(20), /all 3 lines were refused.*the message at token \d+ is \d+ tokens, over --max-tokens 20/);
});
