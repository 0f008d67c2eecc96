import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type ResultRecord, ResultsJournal, readResults, resultLine } from "../../src/evals/results.js";

const record = (i: number): ResultRecord => ({ id: `item-${i}`, group: "bfs", tokens: i, bin: "<4k", score: i / 1000, detail: {}, response: `answer ${i}\n` });

test("the results journal writes every appended record, in append order, without making callers wait", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "acc-journal-")), "results.jsonl");
  const journal = await ResultsJournal.open(path);
  for (let i = 0; i < 500; i++) {
    journal.append(resultLine(record(i)));
    // appends arrive while writes are on their way
    if (i % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await journal.close();
  assert.deepEqual(await readResults(path), Array.from({ length: 500 }, (_, i) => record(i)));
});

test("a failed journal write fails the next append and close with the file system's error", { skip: existsSync("/dev/full") ? false : "/dev/full not found" }, async () => {
  const journal = await ResultsJournal.open("/dev/full");
  journal.append(resultLine(record(1)));
  await assert.rejects(journal.close(), /ENOSPC/);
  const again = await ResultsJournal.open("/dev/full");
  again.append(resultLine(record(1)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.throws(() => again.append(resultLine(record(2))), /ENOSPC/);
  await assert.rejects(again.close(), /ENOSPC/);
});
