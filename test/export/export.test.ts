import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_LENGTHS } from "../../src/compile/lengths.js";
import { compileRun } from "../../src/compile/run.js";
import { exportSamples } from "../../src/export/run.js";
import { tempDir } from "../helpers/collect.js";
import { EXAMPLE_LOGS } from "../helpers/examples.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

const compiled = tempDir();
await compileRun({
  inputs: [EXAMPLE_LOGS],
  outDir: compiled,
  import: {},
  setup: {
    tokenizer: "qwen3",
    sample: { seed: 1, lengths: DEFAULT_LENGTHS, question: "after", distractors: true, splitOversize: false, keepFailed: false },
    sources: { maxTableChars: 1_000_000, maxDirectoryDistractors: 20 },
  },
  workers: 1,
  poolMaxPieces: 100,
  poolMaxChars: 1_000_000,
  poolMaxPieceChars: 100_000,
});
const samplesPath = join(compiled, "samples.jsonl");
const samples = readFileSync(samplesPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));

test("export: trl, axolotl, openai and llamafactory rows carry the prompt and the answer (with or without reasoning)", async () => {
  const read = async (target: "trl" | "openai" | "llamafactory" | "axolotl", reasoning: "think" | "field" | "none") => {
    const out = tempDir();
    const stats = await exportSamples({ inputs: [samplesPath], outDir: out, target, reasoning });
    assert.equal(stats.exported, samples.length);
    return readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  };
  const first = samples[0];
  const trl = await read("trl", "think");
  assert.equal(trl[0].messages[0].content, first.messages[0].content);
  assert.equal(trl[0].messages[1].content, `<think>\n${first.target.reasoning}\n</think>\n\n${first.target.answer}`);
  const openai = await read("openai", "none");
  assert.deepEqual(Object.keys(openai[0]), ["messages"]);
  assert.equal(openai[0].messages[1].content, first.target.answer);
  const field = await read("axolotl", "field");
  assert.equal(field[0].messages[1].reasoning_content, first.target.reasoning);
  const lf = await read("llamafactory", "think");
  assert.deepEqual(lf[0].conversations.map((m: { from: string }) => m.from), ["human", "gpt"]);
});

test("export: a bad samples line is listed in rejects.jsonl with its line, and the counts add up", async () => {
  const input = join(tempDir(), "samples.jsonl");
  writeFileSync(input, `${readFileSync(samplesPath, "utf8")}{"schema":"acc.sample"}\nnot json\n`);
  const out = tempDir();
  const stats = await exportSamples({ inputs: [input], outDir: out, target: "trl", reasoning: "think" });
  assert.deepEqual([stats.read, stats.exported, stats.rejected], [samples.length + 2, samples.length, 2]);
  const rejects = readFileSync(join(out, "rejects.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rejects.map((r) => r.locator.line), [samples.length + 1, samples.length + 2]);
  assert.match(rejects[0].reason, /not a valid sample: .*at id: expected string, received nothing/);
});

test("export: Parquet and JSONL read back with pyarrow and datasets.load_dataset; the card has the Hub's metadata block", { skip: pythonMissing("pyarrow", "datasets") }, async () => {
  const python = pythonWith("pyarrow", "datasets")!;
  const parquetDir = tempDir();
  await exportSamples({ inputs: [samplesPath], outDir: parquetDir, target: "parquet", reasoning: "think" });
  const trlDir = tempDir();
  await exportSamples({ inputs: [samplesPath], outDir: trlDir, target: "trl", reasoning: "think" });
  const script = `
import json, sys, pyarrow.parquet as pq
from datasets import load_dataset
table = pq.read_table(sys.argv[1] + "/train.parquet")
rows = table.to_pylist()
ds = load_dataset("parquet", data_files=sys.argv[1] + "/train.parquet", split="train")
js = load_dataset("json", data_files=sys.argv[2] + "/train.jsonl", split="train")
print(json.dumps({"schema": str(table.schema.field("messages").type), "rows": rows, "ds_len": len(ds), "ds_first": ds[0]["messages"], "json_first": js[0]["messages"], "json_len": len(js)}))
`;
  const result = spawnSync(python, ["-c", script, parquetDir, trlDir], { encoding: "utf8", env: { ...process.env, HF_DATASETS_OFFLINE: "1", HF_HOME: tempDir() } });
  assert.equal(result.status, 0, result.stderr);
  const read = JSON.parse(result.stdout.trim().split("\n").pop()!);
  assert.match(read.schema, /^list<element: struct<role: string( not null)?, content: string( not null)?>( not null)?>$/);
  assert.equal(read.rows.length, samples.length);
  assert.equal(read.ds_len, samples.length);
  assert.equal(read.json_len, samples.length);
  samples.forEach((s, i) => {
    const row = read.rows[i];
    assert.equal(row.id, s.id);
    assert.equal(row.answer, s.target.answer);
    assert.equal(row.reasoning, s.target.reasoning);
    assert.equal(row.prompt_tokens, s.meta.prompt_tokens);
    assert.deepEqual(JSON.parse(row.meta), s.meta);
    assert.equal(row.messages[0].content, s.messages[0].content);
  });
  assert.deepEqual(read.ds_first, read.rows[0].messages);
  assert.equal(read.json_first[0].content, samples[0].messages[0].content);
  const card = readFileSync(join(parquetDir, "README.md"), "utf8");
  assert.match(card, /^---\n[\s\S]*configs:\n- config_name: default\n {2}data_files:\n {2}- split: train\n {4}path: train.parquet\n[\s\S]*---\n/);
  assert.match(card, /size_categories:\n- n<1K/);
});
