// Redaction measured on real text: secrets planted into copies of the shared samples (every format,
// every place in a record) must all be gone with the structure intact, and text that holds no
// secrets (code, lockfiles, git logs, images, ids, the real logs) must keep its words.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";
import { tempDir } from "../helpers/collect.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";
import { agentLogs, base64Images, gitLogs, identifiers, lockfiles, lookAlikes, packageCode, repositoryCode } from "./planting/clean-corpus.js";
import { measureDamage } from "./planting/damage.js";
import { byKind, byPlace, measureRecall } from "./planting/measure.js";
import { redactText } from "../../src/privacy/scan.js";
import { KINDS, SecretMaker } from "./planting/secrets.js";

test("recall: secrets of every kind planted in copies of the real samples are all gone, and every JSON tool call still parses to its arguments", { skip: SAMPLES_MISSING }, async (t) => {
  const dir = tempDir("acc-planted-");
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const report = await measureRecall(SAMPLES_DIR, dir, 11, 40);
  const kinds = byKind(report.results);
  const places = byPlace(report.results);
  t.diagnostic(`${report.results.length} plants imported (${report.notImported} in texts the importer keeps once), ${report.jsonCalls} JSON tool calls`);
  for (const row of kinds) t.diagnostic(`${row.kind}: ${row.planted} planted, recall ${row.recall.toFixed(3)}, typed right ${row.typedRight}`);
  for (const row of places) t.diagnostic(`${row.place}: ${row.planted} planted, recall ${row.recall.toFixed(3)}`);

  assert.deepEqual(report.lostFiles, [], "sample files that stopped importing once planted");
  assert.deepEqual(new Set(kinds.map((row) => row.kind)), new Set(Object.keys(KINDS)), "every kind was planted and imported");
  for (const place of ["user", "tool output", "tool arguments", "assistant"]) assert.ok(places.some((row) => row.place === place && row.planted >= 20), `plants in ${place}`);
  const leaked = report.results.filter((r) => r.outcome === "leaked").map((r) => `${r.plant.kind} (${r.plant.form}) in ${r.place} of ${r.file}: ${JSON.stringify(r.plant.text).slice(0, 200)}`);
  assert.deepEqual(leaked, []);
  assert.ok(report.jsonCalls >= 500, `${report.jsonCalls} JSON tool calls`);
  assert.deepEqual(report.brokenCalls, [], "raw_arguments that no longer parse to arguments");
});

test("every kind in every written form, 300 of each redacted as plain text: nothing of the secret is left", () => {
  const maker = new SecretMaker(23);
  const leaks: string[] = [];
  let clean = 0;
  let total = 0;
  for (const [kind, make] of Object.entries(KINDS)) {
    for (let n = 0; n < 300; n++) {
      const plant = make(maker);
      const out = redactText(plant.text);
      total++;
      if (out.includes(`${plant.before}<SECRET:`)) clean++;
      // A short value (a user name, a letters-only password) counts only as a word of its own.
      const left = plant.values.filter((v) => (v.length >= 8 ? out.includes(v) : new RegExp(`(?<![A-Za-z0-9])${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9])`).test(out)));
      if (left.length > 0) leaks.push(`${kind} (${plant.form}): ${JSON.stringify(plant.text).slice(0, 160)} -> ${JSON.stringify(out).slice(0, 160)}`);
    }
  }
  assert.deepEqual(leaks, []);
  assert.ok(clean / total >= 0.95, `${clean} of ${total} replaced with their context intact`);
});

test("false positives: at most 2 damaged words per MB of code, lockfiles, git logs, base64 images, ids and hashes, and the real logs", { skip: SAMPLES_MISSING }, async (t) => {
  const texts = [
    ...repositoryCode(),
    ...packageCode(2_000_000),
    ...lockfiles(),
    ...gitLogs([], 1_000_000),
    ...base64Images(1, 200),
    ...identifiers(1, 10_000),
    ...(await agentLogs(SAMPLES_DIR)),
    ...lookAlikes(3, 10_000),
  ];
  const report = measureDamage(texts);
  const wrong = report.findings.filter((f) => !f.real);
  t.diagnostic(`${(report.bytes / 1e6).toFixed(1)} MB (${Object.entries(report.bytesByKind).map(([k, n]) => `${k} ${(n / 1e6).toFixed(1)}`).join(", ")}): ${report.damagedWords} damaged words = ${report.perMB.toFixed(2)} per MB`);
  for (const f of wrong) t.diagnostic(`${f.type} in ${f.kind} ${f.source}: ${JSON.stringify(f.context).slice(0, 160)}`);
  for (const kind of ["code", "lockfile", "git log", "base64 image", "ids and hashes", "agent log"]) assert.ok((report.bytesByKind[kind] ?? 0) >= 100_000, `${kind}: ${report.bytesByKind[kind] ?? 0} bytes`);
  assert.ok(report.bytes >= 10_000_000, `${report.bytes} bytes`);
  assert.ok(report.perMB <= 2, `${report.perMB.toFixed(2)} damaged words per MB`);
  // The kinds of text whose every secret-like string is by policy not a secret: nothing at all.
  assert.deepEqual(wrong.filter((f) => f.kind === "ids and hashes" || f.kind === "base64 image" || f.kind === "lockfile" || f.kind === "look-alikes").map((f) => f.context), []);
});
