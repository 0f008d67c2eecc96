import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { countLines, inputBytesRead, readLines } from "../../src/io/lines.js";
import { createProgress, inputBytes, renderLine } from "../../src/cli/progress.js";
import { EXAMPLE_LOGS } from "../helpers/examples.js";
import { tempDir } from "../helpers/collect.js";

class Terminal extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString("utf8");
    done();
  }
}

test("a bar shows its share of a known total, never 100% from the first update, and no share while the total is unknown", () => {
  assert.equal(renderLine("compile", 8, 8000, "8/8000 trajectories"), `compile [${"░".repeat(30)}] 0% | 8/8000 trajectories`);
  assert.equal(renderLine("compile", 4000, 8000, "x"), `compile [${"█".repeat(15)}${"░".repeat(15)}] 50% | x`);
  assert.equal(renderLine("compile", 9000, 8000, "x"), `compile [${"█".repeat(30)}] 100% | x`);
  assert.equal(renderLine("eval", 8, undefined, "8 items"), "eval | 8 items");
  assert.equal(renderLine("eval", 8, 0, "8 items"), "eval | 8 items");
});

test("progress is drawn on a terminal only: pipes and logs get nothing", () => {
  const log = new Terminal(false);
  const quiet = createProgress(log, "import", { total: 100 });
  quiet.update(50, "half");
  quiet.stop();
  assert.equal(log.text, "");
  const tty = new Terminal(true);
  const bar = createProgress(tty, "import", { total: 8000 });
  bar.update(8, "8 of 8000");
  bar.stop();
  assert.match(tty.text, /import \[░+\] 0% \| 8 of 8000/);
  assert.doesNotMatch(tty.text, /100%/);
});

test("estimates from bytes: the inputs' size, and the bytes the readers have taken from them", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "a.jsonl"), "x\n".repeat(1000));
  writeFileSync(join(dir, ".hidden"), "skipped");
  assert.equal(await inputBytes([dir, join(EXAMPLE_LOGS, "sql-agents.jsonl")]), 2000 + (await inputBytes([join(EXAMPLE_LOGS, "sql-agents.jsonl")]))!);
  assert.equal(await inputBytes(["/nonexistent"]), undefined);
  const before = inputBytesRead();
  for await (const _ of readLines(join(dir, "a.jsonl")));
  assert.equal(inputBytesRead() - before, 2000);
  assert.equal(await countLines(join(dir, "a.jsonl")), 1000);
  writeFileSync(join(dir, "b.jsonl"), "one\ntwo");
  assert.equal(await countLines(join(dir, "b.jsonl")), 2);
});
