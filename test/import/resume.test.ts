import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { type LineChunk, readLineChunks } from "../../src/io/chunks.js";
import { inputBytesRead } from "../../src/io/lines.js";
import { importToFiles } from "../../src/import/write.js";
import { tempDir } from "../helpers/collect.js";

async function chunksOf(path: string, from?: { offset: number; line: number }): Promise<LineChunk[]> {
  const out: LineChunk[] = [];
  for await (const chunk of readLineChunks(path, 1000, 100_000, from)) out.push(chunk);
  return out;
}

test("readLineChunks read on from a chunk's end give the chunks after it, line numbers and too-long lines included, plain and gzip", async () => {
  const dir = tempDir();
  // the long lines span the reader's 1 MiB stream chunks
  const lines = Array.from({ length: 300 }, (_, i) => (i === 40 || i === 200 ? "y".repeat(2_500_000) : `{"n":${i},"pad":"${"p".repeat(i % 50)}"}`));
  const text = `${lines.join("\n")}\n{"last":"no newline"}`;
  for (const [name, bytes] of [["a.jsonl", Buffer.from(text)], ["a.jsonl.gz", gzipSync(text)]] as const) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const all = await chunksOf(file);
    assert.ok(all.some((chunk) => "tooLong" in chunk));
    for (let i = 0; i < all.length; i++) {
      assert.deepEqual(await chunksOf(file, all[i]!.end), all.slice(i + 1), `${name}: from the end of chunk ${i}`);
    }
  }
});

/** A row file of `mib` MiB (chat rows, a few invalid lines) in `dir`, after a few small files read whole. */
function inputs(dir: string, mib: number): string {
  const logs = join(dir, "logs");
  mkdirSync(logs);
  for (let i = 0; i < 5; i++) writeFileSync(join(logs, `a-${i}.json`), JSON.stringify({ messages: [{ role: "user", content: `q${i}` }, { role: "assistant", content: `a${i}` }] }));
  const rows: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < mib * 1024 * 1024; i++) {
    const row = i % 1999 === 7 ? "{not json" : JSON.stringify({ messages: [{ role: "user", content: `question ${i} ${"pad ".repeat(200 + (i % 300))}` }, { role: "assistant", content: `answer ${i}` }] });
    rows.push(row);
    bytes += row.length + 1;
  }
  writeFileSync(join(logs, "b-rows.jsonl"), `${rows.join("\n")}\n`);
  return logs;
}

test("an import stopped mid-way resumes from its checkpoint: the rerun reads neither the finished files nor the rows before it, and writes the bytes of an uninterrupted run", async () => {
  const dir = tempDir();
  const logs = inputs(dir, 32);
  const rowsBytes = readFileSync(join(logs, "b-rows.jsonl")).length;
  const rowCount = readFileSync(join(logs, "b-rows.jsonl"), "utf8").split("\n").length - 1;
  const stateOf = (name: string) => join(dir, name, ".trajectories.jsonl.import-state.json");
  const run = async (name: string, stopAfter?: number) => {
    const out = join(dir, name, "trajectories.jsonl");
    const before = inputBytesRead();
    const stats = await importToFiles([logs], {
      output: out,
      rejectsPath: `${out}.rejects.jsonl`,
      onError: "skip",
      workers: 2,
      onProgress: (progress) => {
        if (stopAfter !== undefined && progress.read >= stopAfter) throw new Error("crash");
      },
    });
    return { out, stats, bytesRead: inputBytesRead() - before };
  };
  // a crash 90% of the way through the row file: the checkpoints before it are written, the last of them at most
  // 16 work items (chunks of up to 1 MiB of rows) before the crash, and the rerun starts there; where exactly
  // depends on the machine's speed (a checkpoint is also taken every second): 10-29 MiB into the file's 32 measured
  await assert.rejects(run("resumed", Math.floor(rowCount * 0.9)), /crash/);
  const saved = (JSON.parse(readFileSync(stateOf("resumed"), "utf8")) as { stats: { place: { unit: number; rows?: { offset: number } } } }).stats;
  assert.equal(saved.place.unit, 5, "the checkpoint is in the row file");
  const partial = readdirSync(join(dir, "resumed"));
  assert.ok(partial.includes("trajectories.jsonl.partial"), `kept for the rerun: ${partial.join(", ")}`);
  const offset = saved.place.rows?.offset ?? 0;
  assert.ok(offset >= 1024 * 1024 && offset < rowsBytes, `the checkpoint is past the row file's first chunk (${offset})`);

  const resumed = await run("resumed");
  const fresh = await run("fresh");
  // the rerun read the row file from its checkpoint on (and the head of each file for detection: up to 5 MiB), nothing before it
  assert.ok(resumed.bytesRead <= rowsBytes - offset + 5 * 1024 * 1024, `the rerun read ${resumed.bytesRead} bytes; ${rowsBytes - offset} were left`);
  assert.ok(fresh.bytesRead >= rowsBytes);
  assert.equal(readFileSync(resumed.out, "utf8"), readFileSync(fresh.out, "utf8"));
  assert.equal(readFileSync(`${resumed.out}.rejects.jsonl`, "utf8"), readFileSync(`${fresh.out}.rejects.jsonl`, "utf8"));
  assert.deepEqual(resumed.stats.toJSON(), fresh.stats.toJSON());
  const ids = readFileSync(resumed.out, "utf8").trimEnd().split("\n").map((line) => (JSON.parse(line) as { id: string }).id);
  assert.equal(new Set(ids).size, ids.length, "no trajectory twice");
  assert.equal(ids.length, fresh.stats.imported);
  assert.deepEqual(readdirSync(join(dir, "resumed")).sort(), ["trajectories.jsonl", "trajectories.jsonl.rejects.jsonl"], "no checkpoint or partial file left");
});

test("a record rejected with --on-error fail leaves no output, partial file or checkpoint", async () => {
  const dir = tempDir();
  const logs = inputs(dir, 3);
  const out = join(dir, "out", "trajectories.jsonl");
  await assert.rejects(importToFiles([logs], { output: out, rejectsPath: `${out}.rejects.jsonl`, onError: "fail" }), /invalid JSON/);
  assert.deepEqual(readdirSync(join(dir, "out")), []);
});

test("an import to a sink (stdout) saves no checkpoint, and a failed one leaves no partial file", async () => {
  const dir = tempDir();
  const logs = inputs(dir, 3);
  const out = join(dir, "out");
  const written: string[] = [];
  const sink = { write: async (text: string | Uint8Array) => void written.push(Buffer.from(text).toString("utf8")), commit: async () => {}, abort: async () => {} };
  const stats = await importToFiles([logs], { output: sink, rejectsPath: join(out, "rejects.jsonl"), onError: "skip" });
  assert.equal(written.join("").split("\n").length - 1, stats.imported);
  assert.deepEqual(readdirSync(out), ["rejects.jsonl"]);
  await assert.rejects(
    importToFiles([logs], {
      output: sink,
      rejectsPath: join(out, "again.jsonl"),
      onError: "skip",
      onProgress: (s) => {
        if (s.read > 1000) throw new Error("crash");
      },
    }),
    /crash/,
  );
  assert.deepEqual(readdirSync(out), ["rejects.jsonl"], "no partial rejects file, no checkpoint");
});

test("an import with nothing rejected leaves no folder made for its rejects file alone, as before it ran on the stage runner", async () => {
  const dir = tempDir();
  const out = join(dir, "a", "trajectories.jsonl");
  const rejects = join(dir, "b", "c", "rejects.jsonl");
  const stats = await importToFiles(["examples/logs"], { output: out, rejectsPath: rejects, onError: "skip" });
  assert.equal(stats.rejected, 0);
  assert.ok(stats.imported > 0);
  assert.deepEqual(readdirSync(dir), ["a"]);
  assert.deepEqual(readdirSync(join(dir, "a")), ["trajectories.jsonl"]);
});

test("acc import reads a row file once: its chunks go on from the bytes format detection read", async () => {
  const dir = tempDir();
  const logs = inputs(dir, 6);
  const size = readdirSync(logs).reduce((total, name) => total + readFileSync(join(logs, name)).length, 0);
  for (const workers of [1, 2]) {
    const before = inputBytesRead();
    const stats = await importToFiles([logs], { output: join(dir, `out-${workers}`, "t.jsonl"), rejectsPath: undefined, onError: "skip", workers });
    assert.ok(stats.imported > 0);
    assert.equal(inputBytesRead() - before, size, `${workers} worker(s)`);
  }
});
