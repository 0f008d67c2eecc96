import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Stage } from "../../src/run/stage.js";
import { tempDir } from "../helpers/collect.js";

async function* numbers(from: number, to: number): AsyncGenerator<number> {
  for (let n = from; n < to; n++) yield n;
}

/** A stage writing one line per number; `finish` may fail once its outputs are renamed into place. */
async function run(outDir: string, finish?: () => Promise<void>): Promise<void> {
  const stage = await Stage.open({ name: "numbers", outDir, files: ["out.jsonl"], run: "r1", stats: (saved) => ({ data: (saved as { sum: number } | undefined) ?? { sum: 0 } }) });
  await stage.run({
    inputs: numbers(stage.done, 20),
    process: async (n: number) => n,
    write: (n, out) => {
      out.line(0, String(n));
      out.record(n);
      stage.stats.data.sum += n;
    },
    window: 2,
    ...(finish ? { finish } : {}),
  });
}

test("stage: a run stopped after its outputs were renamed into place (its finish failed) is rerun afresh, not resumed onto missing partial files", async () => {
  const clean = tempDir();
  await run(clean);
  const expected = readFileSync(join(clean, "out.jsonl"), "utf8");
  assert.equal(expected, `${Array.from({ length: 20 }, (_, n) => n).join("\n")}\n`);
  const failed = tempDir();
  const boom = new Error("disk full");
  await assert.rejects(run(failed, () => Promise.reject(boom)), boom);
  assert.ok(readdirSync(failed).includes(".numbers-state.json"), "the checkpoint is still there");
  await run(failed);
  assert.equal(readFileSync(join(failed, "out.jsonl"), "utf8"), expected);
  assert.deepEqual(JSON.parse(readFileSync(join(failed, "stats.json"), "utf8")), { sum: 190 });
});
