import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { exportTrajectories } from "../../src/export/trajectories.js";
import { finishTrajectory } from "../../src/formats/common/finish.js";
import type { TrajectoryDraft } from "../../src/formats/types.js";
import { WarningCode } from "../../src/records/import-warning.js";
import { importAll, tempDir } from "../helpers/collect.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";

const ROOT = join(import.meta.dirname, "../..");
const CODES: readonly string[] = WarningCode.options;

test("importer warnings: every warning of every real sample, fixture and bundled example has a known code and a message", { skip: SAMPLES_MISSING }, async () => {
  const inputs = [SAMPLES_DIR, join(ROOT, "test/fixtures"), join(ROOT, "examples/logs")];
  const { trajectories, rejects } = await importAll(inputs);
  // A warning the schema refuses (free text, an unknown code) makes its record a reject naming `warnings`.
  assert.deepEqual(rejects.filter((r) => /warnings/.test(r.reason)).map((r) => `${r.file}: ${r.reason}`), []);
  const warnings = trajectories.flatMap((t) => t.warnings ?? []);
  assert.ok(warnings.length > 0, "the inputs hold warnings to check");
  for (const w of warnings) {
    assert.ok(CODES.includes(w.code), `unknown warning code ${JSON.stringify(w.code)}`);
    assert.ok(w.message.length > 0);
  }
});

test("importer warnings: a free-text warning or an unknown code is refused by the record's schema, with the path of the warning", () => {
  const draft = (warnings: unknown[]): TrajectoryDraft =>
    ({ locator: { line: 1 }, messages: [{ role: "user", content: "hi" }], warnings }) as unknown as TrajectoryDraft;
  const options = { format: "openai-chat", file: "a.jsonl" };
  const free = finishTrajectory(draft(["dropped 2 lines"]), options);
  assert.ok(!free.ok && free.problems.some((p) => p.path.startsWith("warnings")), "free text refused");
  const unknown = finishTrajectory(draft([{ code: "made-up", message: "x" }]), options);
  assert.ok(!unknown.ok && unknown.problems.some((p) => p.path.startsWith("warnings")), "unknown code refused");
  const known = finishTrajectory(draft([{ code: "ignored-events", message: "ignored 2 event(s)", count: 2 }]), options);
  assert.ok(known.ok);
  assert.deepEqual(known.trajectory.warnings, [{ code: "ignored-events", message: "ignored 2 event(s)", count: 2 }]);
});

test("importer warnings: docs/data-model.md lists exactly the codes of the schema", () => {
  const text = readFileSync(join(ROOT, "docs/data-model.md"), "utf8");
  const section = text.slice(text.indexOf("### Importer warnings"), text.indexOf("\n## ", text.indexOf("### Importer warnings")));
  const documented = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented, [...CODES]);
});

test("importer warnings: a record written before warnings had codes (text) is read back with each text as an untyped warning, by re-import and by export", async () => {
  const { trajectories } = await importAll([join(ROOT, "examples/logs")]);
  const old = { ...JSON.parse(JSON.stringify(trajectories[0])), warnings: ["dropped 2 abandoned lines", { code: "ignored-events", message: "ignored 1 event(s)", count: 1 }] };
  const dir = tempDir();
  const file = join(dir, "old.jsonl");
  writeFileSync(file, `${JSON.stringify(old)}\n`);
  const reimported = await importAll([file]);
  assert.deepEqual(reimported.rejects, []);
  assert.deepEqual(reimported.trajectories[0]!.warnings, [{ code: "untyped", message: "dropped 2 abandoned lines" }, { code: "ignored-events", message: "ignored 1 event(s)", count: 1 }]);
  const stats = await exportTrajectories({ inputs: [file], outDir: join(dir, "atif"), target: "atif" });
  assert.deepEqual([stats.read, stats.exported, stats.rejected], [1, 1, 0]);
});
