import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { importers } from "../../src/formats/registry.js";
import type { DropRule } from "../../src/formats/types.js";
import { type AuditCounts, addCounts, auditRecord, emptyCounts, Haystack, unexplainedChars } from "../../src/import/audit.js";
import { compileRules } from "../../src/import/audit-paths.js";
import { normaliserFor } from "../../src/import/audit-unit.js";
import { importTrajectories } from "../../src/import/run.js";
import { importAll } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";
import { SAMPLES_DIR, SAMPLES_MISSING } from "../helpers/samples.js";

const plain = normaliserFor("off");

function audit(source: unknown, outputs: unknown[], rules: DropRule[] = []): AuditCounts {
  const counts = emptyCounts();
  auditRecord(source, new Haystack(outputs), rules, plain, counts);
  return counts;
}

test("audit: a field the output does not hold is an unexplained loss at its path; what the output holds is carried", () => {
  const source = { messages: [{ content: "the question asked", reasoning: "a thought the importer dropped" }] };
  const counts = audit(source, [{ messages: [{ content: "the question asked" }] }]);
  assert.equal(counts.source_chars, "the question asked".length + "a thought the importer dropped".length);
  assert.equal(counts.carried_chars, "the question asked".length);
  assert.equal(unexplainedChars(counts), "a thought the importer dropped".length);
  assert.deepEqual(Object.values(counts.dropped).map((d) => [d.path, d.reason, d.example]), [
    ["/messages/*/reasoning", null, "a thought the importer dropped"],
  ]);
});

test("audit: a drop rule explains only what is missing at its path; text under it that the output holds still counts as carried", () => {
  const rules: DropRule[] = [
    { path: "/*/{type=progress}/**", reason: "bookkeeping", note: "progress" },
    { path: "/copy", reason: "duplicate", note: "a copy" },
  ];
  const counts = audit(
    [{ type: "progress", data: "hook ran for 20 ms" }, { copy: "kept elsewhere in full" }, { type: "user", text: "not matched by the filter" }],
    [{ x: "kept elsewhere in full" }],
    rules,
  );
  const byPath = Object.fromEntries(Object.values(counts.dropped).map((d) => [d.path, d.reason]));
  assert.deepEqual(byPath, { "/*/type": "structure", "/*/data": "bookkeeping", "/*/text": null });
  assert.equal(counts.carried_chars, "kept elsewhere in full".length);
});

test("audit: rules are matched on the record, so the JSONL line root and filters on it work as written", () => {
  const counts = emptyCounts();
  const haystack = new Haystack([]);
  const rules: DropRule[] = [{ path: "/{type=progress|system}/**", reason: "bookkeeping", note: "x" }];
  for (const line of [{ type: "progress", a: "some progress text" }, { type: "system", b: "a system line text" }]) {
    auditRecord(line, haystack, rules, plain, counts);
  }
  assert.equal(unexplainedChars(counts), 0);
  assert.equal(counts.records, 2);
});

test("audit: a text the importer split counts line by line; markup rules take out the tags and labels it parsed", () => {
  const text = "<think>\nweigh the options carefully\n</think>\nThe answer is forty-two.\nAction: lookup_table";
  const outputs = [{ reasoning: "weigh the options carefully", content: "The answer is forty-two.", name: "lookup_table" }];
  const bare = audit({ content: text }, outputs);
  const missing = ["<think>", "</think>", "Action: lookup_table"].reduce((n, line) => n + line.length + 1, 0);
  assert.equal(bare.carried_chars, text.length - missing);
  assert.equal(unexplainedChars(bare), missing);
  const rules: DropRule[] = [{ path: "/content", reason: "structure", note: "tags", markup: /<\/?think>|^Action: / }];
  const ruled = audit({ content: text }, outputs, rules);
  assert.equal(unexplainedChars(ruled), 0);
  assert.equal(ruled.carried_chars, text.length - "<think>".length - "</think>".length - "Action: ".length);
  // On one line too: the tags go, the reasoning and the answer are each found.
  const inline = audit({ content: "<think>weigh the options carefully</think>The answer is forty-two." }, outputs, rules);
  assert.equal(unexplainedChars(inline), 0);
  // What is left after the markup must still be in the output.
  const lost = audit({ content: "<think>a thought that was dropped</think>The answer is forty-two." }, outputs, rules);
  assert.deepEqual(Object.values(lost.dropped).filter((d) => d.reason === null).map((d) => d.example), ["a thought that was dropped"]);
});

test("audit: a string holding JSON that the importer parsed is audited by its parts", () => {
  const call = JSON.stringify({ name: "get_weather_report", arguments: { city: "Lisbon, Portugal" } });
  const counts = audit({ value: call }, [{ name: "get_weather_report", arguments: { city: "Lisbon, Portugal" } }]);
  assert.equal(unexplainedChars(counts), 0);
  const lost = audit({ value: call }, [{ name: "get_weather_report" }]);
  assert.deepEqual(Object.values(lost.dropped).map((d) => d.path), ["/value/$json/arguments/city"]);
});

test("audit: source text is compared as the output spells it: escape codes stripped, lone surrogates replaced, secrets redacted", () => {
  const escaped = "\u001b[1;32mall 12 tests passed\u001b[0m";
  assert.equal(unexplainedChars(audit({ out: escaped }, [{ content: "all 12 tests passed" }])), 0);
  const broken = "half of a pair: \ud800 and the rest";
  assert.equal(unexplainedChars(audit({ out: broken }, [{ content: broken.toWellFormed() }])), 0);
  const secret = "export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD";
  const counts = emptyCounts();
  const redacted = normaliserFor("on")(secret);
  assert.notEqual(redacted, secret);
  auditRecord({ cmd: secret }, new Haystack([{ content: redacted }]), [], normaliserFor("on"), counts);
  assert.equal(unexplainedChars(counts), 0);
});

test("audit: type and role tags are structure; short texts count only when the output has them whole", () => {
  const counts = audit({ role: "assistant", type: "tool_use", status: "completed" }, [{ x: "the task completed today" }]);
  assert.deepEqual(Object.values(counts.dropped).map((d) => [d.path, d.reason]).sort(), [
    ["/role", "structure"],
    ["/status", null],
    ["/type", "structure"],
  ]);
});

test("every importer's drop rules parse, and counts add up across chunks", () => {
  for (const importer of importers) compileRules(importer.dropRules ?? []);
  assert.throws(() => compileRules([{ path: "/a/{b}/c", reason: "noise", note: "" }]), /malformed segment/);
  const a = audit({ x: "some text that was lost" }, []);
  const total = emptyCounts();
  addCounts(total, a);
  addCounts(total, a);
  assert.equal(total.source_chars, 2 * a.source_chars);
  assert.equal(Object.values(total.dropped)[0]!.leaves, 2);
});

/** Characters of every string leaf of the parsed JSON / JSONL files under `path`, counted without acc. */
function rawStringChars(path: string): number {
  const count = (value: unknown): number =>
    typeof value === "string"
      ? value.length
      : Array.isArray(value)
        ? value.reduce((n: number, v) => n + count(v), 0)
        : value !== null && typeof value === "object"
          ? Object.values(value).reduce((n: number, v) => n + count(v), 0)
          : 0;
  if (statSync(path).isDirectory()) return readdirSync(path).reduce((n, name) => n + rawStringChars(join(path, name)), 0);
  if (path.endsWith(".md")) return 0;
  const text = readFileSync(path, "utf8");
  if (path.endsWith(".jsonl")) return text.split("\n").filter((l) => l.trim() !== "").reduce((n, l) => n + count(JSON.parse(l)), 0);
  return count(JSON.parse(text));
}

test("conformance: on every real sample, every format carries all its source text or explains what it drops", { skip: SAMPLES_MISSING }, async () => {
  const byFormat = new Map<string, AuditCounts>();
  for await (const event of importTrajectories([SAMPLES_DIR], { audit: true })) {
    if (event.type === "reject") assert.fail(`${event.reject.file}: ${event.reject.reason}`);
    if (event.type !== "audit") continue;
    const counts = byFormat.get(event.format) ?? emptyCounts();
    addCounts(counts, event.counts);
    byFormat.set(event.format, counts);
  }
  const formats = [...byFormat.keys()].sort();
  assert.deepEqual(formats, [
    "claude-code",
    "codex",
    "mini-swe-agent",
    "miroflow",
    "openhands-v0",
    "openhands-v1",
    "sharegpt",
    "spider-agent",
    "swe-agent",
    "tau-bench",
    "tau2-bench",
    "toolbench",
  ]);
  const raw = rawStringChars(SAMPLES_DIR);
  let audited = 0;
  for (const [format, counts] of byFormat) {
    const unexplained = Object.values(counts.dropped).filter((d) => d.reason === null);
    assert.deepEqual(unexplained.map((d) => `${d.path} ${d.chars} chars: ${d.example}`), [], `${format}: text lost with no rule to explain it`);
    assert.ok(counts.carried_chars / counts.source_chars > 0.8, `${format}: only ${counts.carried_chars} of ${counts.source_chars} chars carried`);
    audited += counts.source_chars;
  }
  // Every string of the samples was audited, but for trivial ones ("", "ok") and JSON texts audited by their parts.
  assert.ok(audited <= raw && audited > 0.97 * raw, `audited ${audited} of ${raw} raw string chars`);
});

test("every real fixture (logs fetched for the fixes and Harbor's ATIF trajectories, see their SOURCES.md) loses no text unexplained", async () => {
  const files = [realFixture("."), join(import.meta.dirname, "../fixtures/atif")].flatMap((dir) =>
    readdirSync(dir).filter((name) => !name.endsWith(".md")).map((name) => join(dir, name)),
  );
  assert.ok(files.length >= 8);
  const { audits, rejects } = await importAll(files, { audit: true });
  assert.deepEqual(rejects, []);
  assert.deepEqual(audits.map((a) => a.file).sort(), [...files].sort());
  for (const audit of audits) {
    const unexplained = Object.values(audit.counts.dropped).filter((d) => d.reason === null);
    assert.deepEqual(unexplained.map((d) => `${d.path}: ${d.example}`), [], audit.file);
    assert.ok(audit.counts.carried_chars > 0.75 * audit.counts.source_chars, audit.file);
  }
});

test("audit with redaction on (the CLI default): a value under a key that names a secret, redacted whole in the trajectory, is not a loss (real glaive call with a password argument)", { skip: SAMPLES_MISSING }, async () => {
  const file = join(SAMPLES_DIR, "sharegpt-toolcall/glaive_toolcall_en_demo.json");
  // Counted here from the raw file: calls whose JSON arguments hold a `password` member.
  const raw = JSON.stringify(JSON.parse(readFileSync(file, "utf8")));
  const withPassword = raw.match(/\\"password\\":\s*\\"[^\\"]+\\"/g)?.length ?? 0;
  assert.ok(withPassword > 0);
  const { audits } = await importAll([file], { audit: true, redact: "on" });
  const unexplained = audits.flatMap((a) => Object.values(a.counts.dropped)).filter((d) => d.reason === null);
  assert.deepEqual(unexplained.map((d) => `${d.path}: ${d.example}`), []);
  // The same value with no key to judge it by is still compared as it is (and found missing when redacted).
  const counts = emptyCounts();
  auditRecord({ note: "password123" }, new Haystack([{ content: "<SECRET:password>" }]), [], normaliserFor("on"), counts);
  assert.equal(unexplainedChars(counts), "password123".length);
  const keyed = emptyCounts();
  auditRecord({ password: "password123" }, new Haystack([{ content: "<SECRET:password>" }]), [], normaliserFor("on"), keyed);
  assert.equal(unexplainedChars(keyed), 0);
});
