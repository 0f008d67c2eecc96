import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { importers } from "../../src/formats/registry.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";

// Keys the importers look for, so random records reach deep into every converter.
const KEYS = [
  "messages", "role", "content", "tool_calls", "function", "name", "arguments", "id", "tool_call_id", "type",
  "traj", "task_id", "reward", "info", "conversations", "from", "value", "tools", "history", "trajectory",
  "payload", "timestamp", "message", "uuid", "parentUuid", "sessionId", "action", "observation", "args",
  "simulations", "input", "output", "call_id", "items", "message_history", "answer_generation", "train_messages",
  "kind", "events", "tool_use_id", "text", "thinking", "submission", "exit_status", "thought", "source",
];
const ROLES = ["system", "user", "assistant", "tool", "function", "developer", "human", "gpt", "observation", "function_call"];

const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, 0, -1, 1.5, "", "x"),
    fc.string(),
    fc.constantFrom(...ROLES),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("value"), { maxKeys: 6 }),
  ),
})).value;

const record = fc.dictionary(fc.constantFrom(...KEYS), jsonValue, { minKeys: 1, maxKeys: 8 });

function parseDocument(text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    return undefined;
  }
}

function lineNumbersOf(text: string): number[] {
  return text.split("\n").flatMap((line, i) => (line.trim() === "" ? [] : [i + 1]));
}

/** Every non-blank line ends in a trajectory or a reject, or the whole file is one outcome. */
async function assertAccounted(file: string, text: string, format?: string) {
  const { trajectories, rejects } = await importAll([file], format ? { format } : {});
  const wholeFile =
    rejects.some((r) => r.scope === "record" && r.locator.line === undefined && r.locator.index === undefined) ||
    trajectories.some((t) => t.source.locator.line === undefined && t.source.locator.index === undefined);
  if (wholeFile) return;
  const document = parseDocument(text);
  if (Array.isArray(document)) {
    const indexes = new Set([...trajectories.map((t) => t.source.locator.index), ...rejects.map((r) => r.locator.index)]);
    const pointers = [...trajectories.map((t) => t.source.locator.json_pointer), ...rejects.map((r) => r.locator.json_pointer)];
    for (let i = 0; i < document.length; i++) {
      const elsewhere = pointers.some((p) => p?.startsWith(`/${i}/`));
      assert.ok(indexes.has(i) || elsewhere, `element ${i} of ${file} is unaccounted for (${format ?? "detected"})`);
    }
    return;
  }
  if (document !== undefined) {
    assert.ok(trajectories.length + rejects.filter((r) => r.scope === "record").length > 0, `${file} produced nothing`);
    return;
  }
  const covered = new Set<number>();
  for (const t of trajectories) {
    const { line, line_end } = t.source.locator;
    if (line !== undefined) for (let l = line; l <= (line_end ?? line); l++) covered.add(l);
  }
  for (const r of rejects) if (r.locator.line !== undefined) covered.add(r.locator.line);
  for (const line of lineNumbersOf(text)) assert.ok(covered.has(line), `line ${line} of ${file} is unaccounted for (${format ?? "detected"})`);
}

test("fuzz: random JSONL records never throw and every line is accounted for, with detection and with each importer forced", async () => {
  const dir = tempDir();
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(record.map((r) => JSON.stringify(r)), fc.string({ maxLength: 30 })), { minLength: 1, maxLength: 6 }),
      fc.constantFrom(undefined, ...importers.map((i) => i.format)),
      async (lines, format) => {
        const file = join(dir, `f${n++}.jsonl`);
        const text = `${lines.join("\n")}\n`;
        writeFileSync(file, text);
        await assertAccounted(file, text, format);
      },
    ),
    { numRuns: 300, seed: 42 },
  );
});

function sampleFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sampleFiles(path);
    return /\.(json|jsonl|traj)$/.test(name) ? [path] : [];
  });
}

test("fuzz: damaged copies of the real samples (cut, bytes flipped) never throw or lose lines", { skip: SAMPLES_MISSING }, async () => {
  const dir = tempDir();
  const files = sampleFiles(SAMPLES_DIR).map((path) => readFileSync(path).subarray(0, 300_000));
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.nat(files.length - 1),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }),
      async (which, cut, flips) => {
        const original = files[which]!;
        const bytes = Buffer.from(original.subarray(0, Math.max(1, Math.floor(original.length * cut))));
        for (const [at, value] of flips) bytes[Math.floor(at * (bytes.length - 1))] = value;
        const file = join(dir, `s${n++}.json`);
        writeFileSync(file, bytes);
        await assertAccounted(file, bytes.toString("latin1"));
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});
