import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { auditSummary } from "../../src/cli/summaries.js";
import { auditRecord, emptyCounts, Haystack } from "../../src/import/audit.js";
import { normaliserFor } from "../../src/import/audit-unit.js";
import { Trajectory } from "../../src/records/trajectory.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { realFixture } from "../helpers/fixtures.js";

const row = (q: string) => JSON.stringify({ messages: [{ role: "user", content: q }, { role: "assistant", content: "ok" }] });

function fixture() {
  const dir = tempDir();
  const file = join(dir, "in.jsonl");
  writeFileSync(file, `${row("a")}\n{broken\n${row("b")}\n`);
  return { dir, file };
}

test("acc import writes valid trajectories, a rejects file with file/line/reason, and a summary whose counts add up", async () => {
  const { dir, file } = fixture();
  const out = join(dir, "out.jsonl");
  const { code, stdout, stderr } = await runCli(["import", file, "-o", out, "-q"]);
  assert.equal(code, 0);
  assert.equal(stdout, "");
  const lines = readFileSync(out, "utf8").trim().split("\n");
  assert.equal(lines.length, 2);
  for (const line of lines) assert.ok(Trajectory.safeParse(JSON.parse(line)).success);
  const rejects = readFileSync(`${out}.rejects.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rejects.map((r) => [r.file, r.locator.line, r.code]), [[file, 2, "invalid-json"]]);
  assert.match(stderr, /read 3 = imported 2 \+ rejected 1/);
  assert.match(stderr, /openai-chat\s+1\s+2\s+4/);
  assert.match(stderr, new RegExp(`rejects: ${out}.rejects.jsonl`));
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp-")), []);
});

test("acc import writes to stdout by default and is byte-identical across runs", async () => {
  const { file, dir } = fixture();
  const rejects = join(dir, "r.jsonl");
  const first = await runCli(["import", file, "--rejects", rejects, "-q"]);
  const second = await runCli(["import", file, "--rejects", rejects, "-q"]);
  assert.equal(first.code, 0);
  assert.equal(first.stdout.split("\n").filter(Boolean).length, 2);
  assert.equal(first.stdout, second.stdout);
});

test("--on-error fail stops at the first rejected record, names file and line, and leaves no output", async () => {
  const { dir, file } = fixture();
  const out = join(dir, "out.jsonl");
  const { code, stderr } = await runCli(["import", file, "-o", out, "--on-error", "fail", "-q"]);
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`${file}:2: invalid JSON`));
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp-")), []);
});

test("usage errors exit 2 with one line and a pointer to --help", async () => {
  const { file } = fixture();
  const bad = await runCli(["import", file, "--on-error", "maybe"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--on-error expects one of skip, fail, got "maybe"/);
  const missing = await runCli(["import", "/nonexistent/x.jsonl"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^acc: \/nonexistent\/x.jsonl does not exist/);
  const domain = await runCli(["import", file, "--domain", "chess"]);
  assert.equal(domain.code, 2);
});

test("--domain overrides inference and is recorded as given", async () => {
  const { file, dir } = fixture();
  const { stdout } = await runCli(["import", file, "--domain", "sql", "--rejects", join(dir, "r"), "-q"]);
  const first = JSON.parse(stdout.split("\n")[0]!);
  assert.equal(first.domain, "sql");
  assert.equal(first.domain_origin, "given");
});

test("acc inspect prints the per-format table and JSON; acc formats lists every importer; --help has examples", async () => {
  const { file } = fixture();
  const table = await runCli(["inspect", file, "-q"]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /format\s+files\s+trajectories/);
  const json = await runCli(["inspect", file, "--json", "-q"]);
  const stats = JSON.parse(json.stdout);
  assert.equal(stats.read, stats.imported + stats.rejected);
  assert.equal(stats.imported, 2);
  const formats = await runCli(["formats"]);
  assert.match(formats.stdout, /openai-chat/);
  assert.match(formats.stdout, /tau-bench/);
  for (const command of ["import", "inspect", "formats"]) {
    const help = await runCli([command, "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:/);
  }
});

test("acc inspect without --rejects writes no rejects file anywhere", async () => {
  const { dir, file } = fixture();
  const before = readdirSync(dir).sort();
  const { code, stdout } = await runCli(["inspect", file, "-q"]);
  assert.equal(code, 0);
  assert.match(stdout, /rejected/);
  assert.deepEqual(readdirSync(dir).sort(), before);
  assert.ok((await import("node:fs")).statSync("/dev/null").isCharacterDevice());
});

test("acc import --audit prints the share of source text carried per format and the dropped paths, unexplained ones flagged", async () => {
  const dir = tempDir();
  const out = join(dir, "out.jsonl");
  const summary = join(dir, "summary.json");
  const fixture = realFixture("mini-swe-agent-openrouter-gemini.traj.json");
  const { code, stderr } = await runCli(["import", fixture, "--audit", "-o", out, "-q", "--summary-json", summary]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /format\s+records\s+source chars\s+carried\s+structure\s+bookkeeping\s+duplicate\s+noise\s+unexplained/);
  assert.match(stderr, /mini-swe-agent\s+1\s+[\d,]+\s+\d+\.\d\d%/);
  assert.match(stderr, /bookkeeping\s+\/messages\/\*\/extra\/response\/id/);
  assert.match(stderr, /audit: every dropped text is explained by its importer's rules/);
  const stats = JSON.parse(readFileSync(summary, "utf8")) as { audit: Record<string, { source_chars: number; carried_chars: number }> };
  assert.ok(stats.audit["mini-swe-agent"]!.carried_chars > 0.9 * stats.audit["mini-swe-agent"]!.source_chars);

  // Unexplained loss comes first and is flagged, with an example of the lost text.
  const counts = emptyCounts();
  auditRecord({ messages: [{ reasoning_details: "a thought no importer rule explains", id: "gen-1" }] }, new Haystack([]), [
    { path: "/messages/*/id", reason: "bookkeeping", note: "completion ids" },
  ], normaliserFor("off"), counts);
  const text = auditSummary(new Map([["openai-chat", counts]]));
  const lines = text.split("\n");
  const flagged = lines.findIndex((l) => /UNEXPLAINED\s+\/messages\/\*\/reasoning_details\s+"a thought no importer rule explains"/.test(l));
  assert.ok(flagged !== -1 && flagged < lines.findIndex((l) => /bookkeeping\s+\/messages\/\*\/id/.test(l)), text);
  assert.match(text, /audit: 35 characters dropped with no rule to explain them/);
});
