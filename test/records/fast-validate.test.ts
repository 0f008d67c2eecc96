import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "zod";
import { validateFast } from "../../src/records/fast-validate.js";
import { Sample, SAMPLE_SCHEMA_VERSION } from "../../src/records/sample.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { validate } from "../../src/records/validate.js";
import { Random } from "../../src/random.js";
import { importAll } from "../helpers/collect.js";
import { EXAMPLE_LOGS } from "../helpers/examples.js";

/** A sample using every optional part of the schema. */
const RICH_SAMPLE: Sample = {
  schema: "acc.sample",
  schema_version: SAMPLE_SCHEMA_VERSION,
  id: "s-1",
  messages: [
    { role: "system", content: "sys" },
    { role: "user", content: "docs\n\nQuestion: q" },
    { role: "assistant", content: "a", reasoning: "because" },
  ],
  target: { answer: "a", reasoning: "because", answer_origin: "teacher", reasoning_origin: "teacher" },
  meta: {
    trajectory_id: "t-1",
    domain: "swe",
    seed: -3,
    tokenizer: "qwen3",
    target_tokens: 4096,
    prompt_tokens: 4000,
    evidence_count: 1,
    context_count: 1,
    distractor_count: 1,
    pool_distractor_count: 0,
    question_position: "both",
    split_pieces: [{ id: "p2", dropped_lines: 3 }],
    pieces: [
      { id: "p1", role: "evidence", kind: "file", source: "a.py", origins: [{ trajectory_id: "t-1", message_index: 2, call_id: "c1" }], token_start: 10, token_end: 20 },
      { id: "p2", role: "distractor", kind: "table", source: "users", origins: [], token_start: 20, token_end: 30 },
    ],
    task: {
      question: "q",
      ground_truth: null,
      instance_id: "i",
      repo: { name: "r", url: "https://x", base_commit: "abc" },
      database: { engine: "sqlite", db_id: "d", path: "/d.sqlite" },
      gold_patch: "diff",
      gold_sql: "SELECT 1",
    },
  },
};

const ODD_VALUES: unknown[] = [null, undefined, true, 0, -1, 1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 1e300, "", "x", "\ud800", [], [1], {}, { extra: 1 }];

/** A deep copy with one random change: a value replaced, a key dropped or added, an array item removed or duplicated. */
function mutate(record: unknown, random: Random): unknown {
  const copy = structuredClone(record) as Record<string, unknown>;
  const paths: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== "object") return;
    for (const [key, child] of Object.entries(node)) {
      paths.push({ parent: node as Record<string, unknown> | unknown[], key: Array.isArray(node) ? Number(key) : key });
      walk(child);
    }
  };
  walk(copy);
  const { parent, key } = random.pick(paths);
  const choice = random.int(0, 3);
  if (choice === 0) (parent as Record<string | number, unknown>)[key] = random.pick(ODD_VALUES);
  else if (choice === 1 && Array.isArray(parent)) parent.splice(key as number, 1);
  else if (choice === 1) delete (parent as Record<string, unknown>)[key];
  else if (choice === 2 && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
  else if (!Array.isArray(parent)) (parent as Record<string, unknown>)[`unknown_${random.int(0, 9)}`] = random.pick(ODD_VALUES);
  return copy;
}

function assertSameVerdicts(schema: z.ZodType, records: unknown[], mutations: number, seed: number): { valid: number; invalid: number } {
  const random = new Random(seed, "fast-validate");
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < mutations; i++) {
    const record = i < records.length ? records[i] : mutate(random.pick(records), random);
    const slow = validate(schema, record);
    const fast = validateFast(schema, record);

    assert.equal(fast.ok, slow.ok, `verdicts differ on ${JSON.stringify(record)?.slice(0, 300)}`);
    if (fast.ok && slow.ok) {
      valid++;
      assert.deepStrictEqual(fast.value, slow.value);
    } else if (!fast.ok && !slow.ok) {
      invalid++;
      assert.deepEqual(fast.problems, slow.problems);
    }
  }
  return { valid, invalid };
}

test("the compiled Sample check gives zod's verdict on 4,000 damaged samples, and zod's value on the valid ones", () => {
  const { valid, invalid } = assertSameVerdicts(Sample, [RICH_SAMPLE], 4_000, 1);
  assert.ok(valid > 300 && invalid > 2_000, `both verdicts exercised: ${valid} valid, ${invalid} invalid`);
});

test("the compiled Trajectory check gives zod's verdict on the bundled examples and 6,000 damaged copies", async () => {
  const { trajectories } = await importAll([EXAMPLE_LOGS]);
  assert.ok(trajectories.length >= 3);
  const { valid, invalid } = assertSameVerdicts(Trajectory, trajectories, 6_000, 2);
  assert.ok(valid > 500 && invalid > 2_000, `both verdicts exercised: ${valid} valid, ${invalid} invalid`);
});

test("a valid record comes back as it is (no copy); a schema without a compiled check is refused", () => {
  const result = validateFast(Sample, RICH_SAMPLE);
  assert.ok(result.ok && result.value === RICH_SAMPLE);
  assert.throws(() => validateFast(Trajectory.pick({ id: true }), { id: "x" }), /no compiled check/);
});
