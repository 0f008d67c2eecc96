import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readLineChunks } from "../../src/io/chunks.js";
import { AtomicFile } from "../../src/io/atomic.js";
import { importToFiles } from "../../src/import/write.js";
import { tempDir } from "../helpers/collect.js";

async function chunksOf(path: string, chunkBytes: number, maxLineBytes: number) {
  const out = [];
  for await (const chunk of readLineChunks(path, chunkBytes, maxLineBytes)) out.push(chunk);
  return out;
}

test("readLineChunks cuts on line boundaries, numbers lines exactly and reports oversized lines without holding them", async () => {
  const dir = tempDir();
  // The long lines span the reader's 1 MiB stream chunks, so the chunker must skip them itself.
  const lines = Array.from({ length: 500 }, (_, i) => (i === 200 || i === 499 ? "x".repeat(3_000_000) : `{"n":${i}}`));
  const file = join(dir, "a.jsonl");
  writeFileSync(file, lines.join("\n"));
  const chunks = await chunksOf(file, 700, 100_000);
  const seen: string[] = [];
  let expectedLine = 1;
  for (const chunk of chunks) {
    if ("tooLong" in chunk) {
      assert.equal(chunk.tooLong.line, expectedLine);
      assert.equal(chunk.tooLong.size, 3_000_000);
      seen.push("TOO-LONG");
      expectedLine++;
      continue;
    }
    assert.equal(chunk.firstLine, expectedLine);
    const text = chunk.bytes.toString("utf8");
    const pieces = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
    seen.push(...pieces);
    expectedLine += pieces.length;
  }
  assert.deepEqual(seen, lines.map((l) => (l.length === 3_000_000 ? "TOO-LONG" : l)));
  assert.equal(chunks.filter((c) => "tooLong" in c).length, 2);
});

test("parallel import (2 workers over a file of many chunks) is byte-identical to in-process import, rejects and stats included", async () => {
  const dir = tempDir();
  const rows: string[] = [];
  for (let i = 0; i < 4000; i++) {
    if (i % 997 === 5) rows.push("{not json");
    else rows.push(JSON.stringify({ messages: [{ role: "user", content: `question ${i} ${"pad ".repeat(500 + (i % 300))}` }, { role: "assistant", content: `answer ${i}` }] }));
  }
  // Over 8 MiB, so it is cut into chunks and handed to worker threads.
  const file = join(dir, "rows.jsonl");
  writeFileSync(file, `${rows.join("\n")}\n`);
  const run = async (workers: number) => {
    const out = join(dir, `out-${workers}.jsonl`);
    const rejectsPath = join(dir, `rejects-${workers}.jsonl`);
    const stats = await importToFiles([file], { output: await AtomicFile.create(out), rejectsPath, onError: "skip", workers });
    return { out: readFileSync(out, "utf8"), rejects: readFileSync(rejectsPath, "utf8"), stats: JSON.stringify(stats) };
  };
  const single = await run(1);
  const parallel = await run(2);
  assert.equal(parallel.out, single.out);
  assert.equal(parallel.rejects.replaceAll("rejects-2", "rejects-1"), single.rejects);
  assert.equal(parallel.stats, single.stats);
  const lines = single.out.trim().split("\n").map((l) => JSON.parse(l).source.locator.line);
  const expected = rows.flatMap((r, i) => (r.startsWith("{not") ? [] : [i + 1]));
  assert.deepEqual(lines, expected);
  assert.deepEqual(single.rejects.trim().split("\n").map((l) => JSON.parse(l).locator.line), [6, 1003, 2000, 2997, 3994]);
});
