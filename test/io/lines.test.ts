import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { readDocument, readLines, DocumentError } from "../../src/io/lines.js";
import { tempDir } from "../helpers/collect.js";

async function lines(path: string, max?: number) {
  const out = [];
  for await (const line of readLines(path, max)) out.push(line);
  return out;
}

test("readLines numbers physical lines, skips blank ones, drops CR and a leading BOM", async () => {
  const file = join(tempDir(), "a.jsonl");
  writeFileSync(file, "\uFEFF{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}");
  assert.deepEqual(await lines(file), [
    { line: 1, text: '{"a":1}' },
    { line: 4, text: '{"b":2}' },
    { line: 5, text: '{"c":3}' },
  ]);
});

test("readLines reads gzip content transparently", async () => {
  const file = join(tempDir(), "a.jsonl.gz");
  writeFileSync(file, gzipSync('{"a":1}\n{"b":2}\n'));
  assert.deepEqual((await lines(file)).map((l) => l.line), [1, 2]);
});

test("readLines rejects invalid UTF-8 with the byte offset and keeps going", async () => {
  const file = join(tempDir(), "bad.jsonl");
  writeFileSync(file, Buffer.concat([Buffer.from('{"a":"ok"}\n{"b":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"c":1}\n')]));
  const out = await lines(file);
  assert.equal(out.length, 3);
  assert.deepEqual(out[1], { line: 2, error: "invalid-utf8", detail: "invalid UTF-8 at byte 6 of the line" });
  assert.deepEqual(out[2], { line: 3, text: '{"c":1}' });
});

test("readLines rejects an oversized line without holding it, across chunk boundaries", async () => {
  const file = join(tempDir(), "big.jsonl");
  const big = `{"x":"${"y".repeat(3_000_000)}"}`;
  writeFileSync(file, `{"a":1}\n${big}\n{"b":2}\n${big}`);
  const out = await lines(file, 1_000_000);
  assert.equal(out.length, 4);
  assert.equal(out[0]!.line, 1);
  assert.deepEqual(out[1], {
    line: 2,
    error: "line-too-long",
    detail: `line of ${big.length} bytes exceeds the limit of 1000000 bytes`,
  });
  assert.deepEqual(out[2], { line: 3, text: '{"b":2}' });
  assert.equal(out[3]!.line, 4);
  assert.ok("error" in out[3]!);
});

test("readDocument refuses documents over the limit and invalid UTF-8 with a line number", async () => {
  const dir = tempDir();
  const big = join(dir, "big.json");
  writeFileSync(big, `[${'"x",'.repeat(1000)}"x"]`);
  await assert.rejects(readDocument(big, 100), (e: unknown) => e instanceof DocumentError && e.code === "document-too-large");
  const bad = join(dir, "bad.json");
  writeFileSync(bad, Buffer.concat([Buffer.from('{\n"a":\n"'), Buffer.from([0xff]), Buffer.from('"}')]));
  await assert.rejects(readDocument(bad, 1000), /invalid UTF-8 at line 3/);
});

test("AtomicFile writes a special file such as /dev/null in place instead of renaming over it", async () => {
  const { AtomicFile } = await import("../../src/io/atomic.js");
  const { statSync } = await import("node:fs");
  const file = await AtomicFile.create("/dev/null");
  await file.write("discarded\n");
  await file.commit();
  assert.ok(statSync("/dev/null").isCharacterDevice());
});
