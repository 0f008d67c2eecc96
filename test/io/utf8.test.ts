import assert from "node:assert/strict";
import { test } from "node:test";
import { utf8Concat } from "../../src/io/utf8.js";

test("utf8Concat gives the bytes of the joined parts, whatever characters each part holds", () => {
  const cases = [
    ["plain ascii\n", "", "café “quoted” ✓ 字\n", "emoji 🙂 and a pair \ud83d\ude00\n", "x".repeat(10_000), "\n", "é"],
    // a pair cut between two parts stays one character; lone halves become U+FFFD as Buffer.from makes them
    ["cut \ud83d", "\ude00 pair", " lone \ud800 and \udc00"],
    ["ends on a high half \ud83d"],
    [],
  ];
  for (const parts of cases) assert.deepEqual(utf8Concat(parts), Buffer.from(parts.join(""), "utf8"), JSON.stringify(parts));
});

test("AtomicFile writes the UTF-8 of every string it was given, in order, across its buffers' refills and pairs cut between writes", async () => {
  const { mkdtemp, readFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { AtomicFile } = await import("../../src/io/atomic.js");
  const dir = await mkdtemp(join(tmpdir(), "acc-atomic-"));
  try {
    // lines that fill the 4 MiB buffers many times over, near-full buffers met by strings whose bound says they may not fit,
    // strings larger than a buffer, non-Latin-1 text, a pair cut between two writes, bytes between strings, a lone half at the end
    const parts: (string | Buffer)[] = [];
    for (let i = 0; i < 16; i++) parts.push(`${"a".repeat(300_000 + i)} café “q” 字 🙂\n`);
    parts.push("x".repeat(1_500_000), "字".repeat(500_000), "cut \ud83d", "\ude00 pair\n", Buffer.from("raw bytes\n"), "lone \ud800 half ", "é".repeat(1_398_000), "end \ud83d");
    const file = await AtomicFile.create(join(dir, "out.txt"));
    for (const part of parts) await file.write(part);
    await file.commit();
    const expected = Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));
    // the cut pair is one character; the lone halves are U+FFFD, as Buffer.from of the joined text makes them
    const joined = Buffer.from(parts.map((part) => (typeof part === "string" ? part : part.toString())).join(""));
    const written = await readFile(join(dir, "out.txt"));
    assert.equal(written.length, joined.length);
    assert.ok(written.equals(joined));
    assert.notEqual(expected.length, joined.length); // the cut pair really was cut
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
