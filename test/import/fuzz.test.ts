import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { importers } from "../../src/formats/registry.js";
import type { Importer } from "../../src/formats/types.js";
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

test("fuzz: no importer's detection throws, whatever the probe holds (a detector that throws hides a bug as 'unknown format')", () => {
  const jsonLine = fc.oneof(
    fc.record({ line: fc.nat(), value: fc.oneof(record, jsonValue) }),
    fc.record({ line: fc.nat(), error: fc.constantFrom("invalid-json" as const, "invalid-utf8" as const, "line-too-long" as const), detail: fc.string() }),
  );
  const probe = fc.oneof(
    fc.record({ container: fc.constant("jsonl" as const), file: fc.constantFrom("a.jsonl", "x/rollout-1.jsonl", "t.traj"), head: fc.array(jsonLine, { maxLength: 6 }) }),
    fc.record({ container: fc.constant("json" as const), file: fc.constantFrom("a.json", "t.traj", "x.json"), document: fc.oneof(record, jsonValue, fc.array(record, { maxLength: 4 })) }),
    fc.record({ container: fc.constant("directory" as const), path: fc.constant("d"), entries: fc.array(fc.constantFrom("events", "0.json", "meta.json", "trajectory.json", "base_state.json", "x", "1.json"), { maxLength: 5 }) }),
  );
  fc.assert(
    fc.property(probe, (p) => {
      for (const importer of importers) {
        const score = importer.detect(p);
        assert.ok(Number.isFinite(score) && score >= 0, `${importer.format}: score ${score}`);
      }
    }),
    { numRuns: 3000, seed: 7 },
  );
});

test("a detector that throws is reported as a bug when no other importer takes the file, and costs nothing when one does", async () => {
  const dir = tempDir();
  const unknown = join(dir, "unknown.json");
  writeFileSync(unknown, '{"zzz": 1}\n');
  const known = join(dir, "chat.jsonl");
  writeFileSync(known, `${JSON.stringify({ messages: [{ role: "user", content: "q" }, { role: "assistant", content: "a" }] })}\n`);
  const broken = { format: "broken-detector", detect: () => { throw new TypeError("boom"); } } as unknown as Importer;
  (importers as Importer[]).push(broken);
  try {
    const { trajectories, rejects } = await importAll([unknown, known]);
    assert.equal(trajectories.length, 1);
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0]!.code, "internal-error");
    assert.match(rejects[0]!.reason, /the broken-detector importer's format detection failed \(boom\): a bug in acc/);
  } finally {
    (importers as Importer[]).pop();
  }
  const { rejects } = await importAll([unknown]);
  assert.equal(rejects[0]!.code, "unknown-format");
});
