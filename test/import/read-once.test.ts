import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { inputBytesRead } from "../../src/io/lines.js";
import { importAll, tempDir } from "../helpers/collect.js";

const row = (i: number, text: string) => ({ messages: [{ role: "user", content: `question ${i}: ${text}` }, { role: "assistant", content: `answer ${i}` }] });

/** Bytes read from the inputs while `inputs` are imported, and what came out. */
async function importCounting(inputs: string[]) {
  const before = inputBytesRead();
  const result = await importAll(inputs);
  return { ...result, read: inputBytesRead() - before };
}

// Detection reads a file's start with one call (4 MiB, all of a smaller file) and the import goes on from
// where it ends: files larger than the start are the ones where a second read of it could hide. (Only a
// JSONL head that ends past the start, a first line over 4 MiB, has its part past the start read twice.)
test("every file is read once: a JSON document and a JSONL file larger than what detection reads, and small ones", async () => {
  const dir = tempDir();
  const filler = "x".repeat(45_000);
  const document = join(dir, "rows.json");
  writeFileSync(document, JSON.stringify(Array.from({ length: 100 }, (_, i) => row(i, filler)), null, 1));
  const lines = join(dir, "rows.jsonl");
  // detection parses the first 50 lines (here within the start); the import reads on past the start
  const rows = [row(0, "y".repeat(3 * 1024 * 1024)), ...Array.from({ length: 100 }, (_, i) => row(i + 1, "z".repeat(12_000)))];
  writeFileSync(lines, rows.map((r) => JSON.stringify(r)).join("\n"));
  const small = join(dir, "small.json");
  writeFileSync(small, JSON.stringify([row(0, "small")]));
  const sizes = [document, lines, small].map((file) => statSync(file).size);
  assert.ok(sizes[0]! > 4 * 1024 * 1024 && sizes[1]! > 4 * 1024 * 1024);

  const { trajectories, rejects, read } = await importCounting([dir]);
  assert.deepEqual(rejects, []);
  assert.equal(trajectories.length, 100 + 101 + 1);
  assert.deepEqual(trajectories.filter((t) => t.source.file === lines).map((t) => t.source.locator.line), rows.map((_, i) => i + 1));
  assert.equal(read, sizes.reduce((a, b) => a + b, 0));
});
