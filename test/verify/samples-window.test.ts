import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_VERIFY_SETUP, Verifiers } from "../../src/verify/index.js";
import { type SampleVerdict, verifySamples } from "../../src/verify/samples.js";
import { tempDir } from "../helpers/collect.js";
import { itemSample, jsonLines, writeSamples } from "../teach/helpers.js";

test("verify samples: a slow verdict at the head does not stop the ones behind it; verdicts stay in input order", async () => {
  const dir = tempDir();
  const samples = Array.from({ length: 40 }, (_, i) => itemSample(i + 1));
  const input = writeSamples(dir, samples);
  const real = await Verifiers.create(DEFAULT_VERIFY_SETUP);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // a guard, so that a regression fails the test rather than hang it
  const guard = setTimeout(release, 5000);
  let others = 0;
  let othersBeforeFirst = -1;
  // the real verifiers, the first sample's verdict held until 30 others are given
  const verifiers = Object.create(real, {
    verify: {
      value: async (...args: Parameters<Verifiers["verify"]>) => {
        if (args[0].id === samples[0]!.id) {
          await gate;
          othersBeforeFirst = others;
        } else if (++others === 30) {
          release();
        }
        return real.verify(...args);
      },
    },
  }) as Verifiers;
  try {
    const counts = await verifySamples({ input, output: join(dir, "verdicts.jsonl"), verifiers, concurrency: 2 });
    clearTimeout(guard);
    assert.ok(othersBeforeFirst >= 30, `samples verified while the first waited: ${othersBeforeFirst}`);
    assert.deepEqual([counts.read, counts.passed], [40, 40]);
    const verdicts = jsonLines<SampleVerdict>(readFileSync(join(dir, "verdicts.jsonl"), "utf8"));
    assert.deepEqual(verdicts.map((v) => v.sample_id), samples.map((s) => s.id), "in input order");
  } finally {
    await real.close();
  }
});
