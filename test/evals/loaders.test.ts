import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { parquetWriteFile } from "hyparquet-writer";
import { loadItems, readResponses } from "../../src/evals/data.js";
import { generateGraphwalks } from "../../src/evals/generate-graphwalks.js";
import { generateMrcr } from "../../src/evals/generate-mrcr.js";
import { graphwalksEval } from "../../src/evals/graphwalks.js";
import { mrcrEval } from "../../src/evals/mrcr.js";
import { EvalDataError } from "../../src/evals/rows.js";
import { o200k } from "../../src/evals/tokens.js";
import { describeSystemError } from "../../src/errors/system-error.js";
import { tempDir } from "../helpers/collect.js";
import { pythonMissing, pythonWith } from "../helpers/python.js";

const tokenizer = await o200k();

const mrcr = mrcrEval();
const graphwalks = graphwalksEval();

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const mrcrItems = () => [...generateMrcr({ tokenizer, seed: 4, tokens: [3000], perSize: 9, needles: [2] })];

/** MRCR rows as the official Parquet holds them: strings and int64 columns, several row groups. */
function writeMrcrParquet(path: string, rows: Record<string, unknown>[], options: { rowGroupSize: number; withId?: boolean; codec?: "SNAPPY" | "UNCOMPRESSED" }) {
  const strings = ["prompt", "answer", "random_string_to_prepend", "date_added", ...(options.withId ? ["id"] : [])];
  const ints = ["n_needles", "desired_msg_index", "total_messages", "n_chars"];
  parquetWriteFile({
    filename: path,
    rowGroupSize: options.rowGroupSize,
    codec: options.codec ?? "SNAPPY",
    columnData: [
      ...strings.map((name) => ({ name, data: rows.map((row) => (row[name] ?? "2025-12-05") as string), type: "STRING" as const })),
      ...ints.map((name) => ({ name, data: rows.map((row) => BigInt(row[name] as number)), type: "INT64" as const })),
    ],
  });
}

test("MRCR Parquet with int64 columns and several row groups loads every row, in order, with its id", async () => {
  const dir = tempDir();
  const items = mrcrItems();
  writeMrcrParquet(join(dir, "2needle_0.parquet"), items.map(mrcr.toRow), { rowGroupSize: 4 });
  writeMrcrParquet(join(dir, "with-ids.parquet"), items.map(mrcr.toRow), { rowGroupSize: 4, withId: true });
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(join(dir, "2needle_0.parquet")));
  assert.equal(metadata.row_groups.length, 3);
  const loaded = await collect(loadItems(mrcr, [join(dir, "2needle_0.parquet")]));
  assert.equal(loaded.length, items.length);
  assert.deepEqual(loaded.map((item) => item.id), items.map((_, i) => `2needle_0.parquet#${i}`));
  assert.deepEqual(
    loaded.map(({ id: _, ...rest }) => rest),
    items.map(({ id: _, ...rest }) => ({ ...rest, date_added: "2025-12-05" })),
  );
  const withIds = await collect(loadItems(mrcr, [join(dir, "with-ids.parquet")]));
  assert.deepEqual(withIds.map((item) => item.id), items.map((item) => item.id));
  const limited = await collect(loadItems(mrcr, [join(dir, "2needle_0.parquet"), join(dir, "with-ids.parquet")], 11));
  assert.deepEqual(limited.map((item) => item.id), [...loaded.map((i) => i.id), items[0]!.id, items[1]!.id]);
});

test("Parquet is read one row group at a time: rows of the good groups come out before a damaged last group fails", async () => {
  const dir = tempDir();
  const file = join(dir, "damaged.parquet");
  writeMrcrParquet(file, mrcrItems().map(mrcr.toRow), { rowGroupSize: 3, codec: "UNCOMPRESSED" });
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  const lastGroup = metadata.row_groups[2]!.columns[0]!.meta_data!;
  const bytes = readFileSync(file);
  bytes.fill(0xff, Number(lastGroup.data_page_offset), Number(lastGroup.data_page_offset) + 64);
  writeFileSync(file, bytes);
  const seen: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const item of loadItems(mrcr, [file])) seen.push(Number(item.id.split("#")[1]));
    })(),
    (error: Error) => error instanceof EvalDataError && error.message.startsWith(`${file}: rows 6-8: cannot decode Parquet row group`),
  );
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
});

const PYARROW_WRITE = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
schema = pa.schema([("prompt", pa.string()), ("answer_nodes", pa.list_(pa.string())), ("prompt_chars", pa.int64()), ("problem_type", pa.string()), ("date_added", pa.string())])
table = pa.Table.from_pylist(rows, schema=schema)
for codec in sys.argv[3:]:
    pq.write_table(table, f"{sys.argv[2]}.{codec}.parquet", row_group_size=3, compression=codec)
`;

test("GraphWalks Parquet written by pyarrow (list<string> answers, row groups of 3) loads exactly with snappy, gzip and brotli", { skip: pythonMissing("pyarrow") }, async () => {
  const dir = tempDir();
  const items = [...generateGraphwalks({ seed: 1, promptChars: [3000, 6000], perSize: 2 })];
  const rows = items.map(({ id: _, ...row }, i) => ({ ...row, date_added: i % 2 ? "04-12-2025" : null }));
  writeFileSync(join(dir, "rows.jsonl"), rows.map((row) => JSON.stringify(row)).join("\n"));
  const base = join(dir, "graphwalks");
  const run = spawnSync(pythonWith("pyarrow")!, ["-c", PYARROW_WRITE, join(dir, "rows.jsonl"), base, "snappy", "gzip", "brotli", "zstd"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  for (const codec of ["snappy", "gzip", "brotli"]) {
    const loaded = await collect(loadItems(graphwalks, [`${base}.${codec}.parquet`]));
    assert.equal(loaded.length, items.length, codec);
    assert.deepEqual(
      loaded,
      rows.map(({ date_added, ...row }, i) => ({ id: `graphwalks.${codec}.parquet#${i}`, ...row, ...(date_added ? { date_added } : {}) })),
    );
  }
  await assert.rejects(collect(loadItems(graphwalks, [`${base}.zstd.parquet`])), /graphwalks\.zstd\.parquet: rows 0-2: cannot decode Parquet row group: .*ZSTD/);
});

test("JSONL (gzip too) with blank lines: every row loads; the id column is used when present", async () => {
  const dir = tempDir();
  const items = [...generateGraphwalks({ seed: 2, promptChars: [2000], perSize: 3, problems: ["bfs"] })];
  const lines = items.map((item, i) => JSON.stringify(i === 1 ? graphwalks.toRow(item) : { ...graphwalks.toRow(item), id: undefined }));
  writeFileSync(join(dir, "gw.jsonl.gz"), gzipSync(`${lines[0]}\n\n${lines.slice(1).join("\n")}\n`));
  const loaded = await collect(loadItems(graphwalks, [join(dir, "gw.jsonl.gz")]));
  assert.deepEqual(loaded.map((item) => item.id), ["gw.jsonl.gz#0", items[1]!.id, "gw.jsonl.gz#2"]);
  assert.deepEqual(loaded.map(({ id: _, ...rest }) => rest), items.map(({ id: _, ...rest }) => rest));
});

test("bad rows fail with the file, the row or line, and the column", async () => {
  const dir = tempDir();
  const good = mrcr.toRow(mrcrItems()[0]!);
  const cases: [string, unknown, RegExp][] = [
    ["missing.jsonl", { ...good, answer: undefined }, /missing.jsonl: line 2: missing column answer \(has /],
    ["string-int.jsonl", { ...good, n_needles: "2" }, /string-int.jsonl: line 2: column n_needles must be an integer, got string "2"/],
    ["float.jsonl", { ...good, n_chars: 1.5 }, /float.jsonl: line 2: column n_chars must be an integer, got number 1.5/],
    ["prompt.jsonl", { ...good, prompt: "[{" }, /prompt.jsonl: line 2: column prompt must hold a JSON list of chat messages/],
    ["role.jsonl", { ...good, prompt: JSON.stringify([{ role: "robot", content: "x" }]) }, /role.jsonl: line 2: column prompt: message 0 must be/],
    ["array.jsonl", [1, 2], /array.jsonl: line 2: expected a JSON object, got an array/],
    ["id.jsonl", { ...good, id: { n: 7 } }, /id.jsonl: line 2: column id must be a non-empty string, a number or a boolean, got an object/],
  ];
  for (const [name, row, message] of cases) {
    const file = join(dir, name);
    writeFileSync(file, `${JSON.stringify(good)}\n${JSON.stringify(row)}\n`);
    await assert.rejects(collect(loadItems(mrcr, [file])), (error: Error) => error instanceof EvalDataError && message.test(error.message), name);
  }
  writeFileSync(join(dir, "broken.jsonl"), `${JSON.stringify(good)}\n{"prompt": "trunc`);
  await assert.rejects(collect(loadItems(mrcr, [join(dir, "broken.jsonl")])), /broken.jsonl: line 2: invalid JSON/);

  const parquet = join(dir, "wrong.parquet");
  parquetWriteFile({
    filename: parquet,
    columnData: [
      { name: "prompt", data: ["p", "q"], type: "STRING" },
      { name: "answer_nodes", data: [["a"], ["b"]] },
      { name: "prompt_chars", data: ["1", "x"], type: "STRING" },
      { name: "problem_type", data: ["bfs", "bfs"], type: "STRING" },
    ],
  });
  await assert.rejects(collect(loadItems(graphwalks, [parquet])), new RegExp(`${parquet}: row 0: column prompt_chars must be an integer, got string "1"`));
  await assert.rejects(
    collect(loadItems(mrcr, [parquet])),
    new RegExp(`${parquet}: missing columns answer, random_string_to_prepend, n_needles, desired_msg_index, total_messages, n_chars \\(has prompt, answer_nodes, prompt_chars, problem_type\\)`),
  );
  writeFileSync(join(dir, "fake.parquet"), "PAR1 but not really");
  await assert.rejects(collect(loadItems(graphwalks, [join(dir, "fake.parquet")])), /fake.parquet: not a readable Parquet file/);
  // a missing file is Node's error, which the CLI names with its path: exit 2, the flag's value is wrong
  const absent = await collect(loadItems(graphwalks, [join(dir, "absent.jsonl")])).then(
    () => assert.fail("expected a failure"),
    (error: unknown) => describeSystemError(error),
  );
  assert.deepEqual(absent, { message: `cannot open ${join(dir, "absent.jsonl")}: no such file or directory`, exitCode: 2 });
});

test("responses files: id + text per line; a repeated id or a missing field names the line", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "ok.jsonl"), '{"id": "a", "text": "x", "extra": 1}\n\n{"id": "b", "text": ""}\n');
  assert.deepEqual([...(await readResponses(join(dir, "ok.jsonl")))], [["a", "x"], ["b", ""]]);
  writeFileSync(join(dir, "dup.jsonl"), '{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n');
  await assert.rejects(readResponses(join(dir, "dup.jsonl")), /dup.jsonl: line 2: id a already answered on line 1/);
  writeFileSync(join(dir, "field.jsonl"), '{"id": "a", "response": "x"}\n');
  await assert.rejects(readResponses(join(dir, "field.jsonl")), /field.jsonl: line 1: expected \{"id": string, "text": string\}/);
});
