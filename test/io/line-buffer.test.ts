import assert from "node:assert/strict";
import { test } from "node:test";
import { LineBuffer } from "../../src/io/line-buffer.js";

test("LineBuffer: what it takes is the lines' UTF-8 with a newline each, across chunks, long lines and any text", () => {
  const buffer = new LineBuffer();
  const texts = ["", "plain", "é and 北京 and 😀", "x".repeat(300 * 1024), "\ud83d lone high surrogate", "€".repeat(100_000), ...Array.from({ length: 500 }, (_, i) => `{"line":${i},"text":"${"y".repeat(i * 7)}"}`)];
  const taken: Buffer[] = [];
  let added = 0;
  texts.forEach((text, i) => {
    buffer.add(text);
    added++;
    assert.equal(buffer.count, added);
    // taken at uneven moments, as checkpoints do
    if (i % 37 === 3) {
      taken.push(...buffer.take());
      added = 0;
      assert.equal(buffer.count, 0);
    }
  });
  taken.push(...buffer.take());
  assert.deepEqual(Buffer.concat(taken), Buffer.from(texts.map((text) => `${text}\n`).join("")));
  assert.deepEqual(buffer.take(), []);
});
