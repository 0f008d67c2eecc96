import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { DEFAULT_LENGTHS } from "../../src/compile/lengths.js";
import { compileRun } from "../../src/compile/run.js";
import { CompileStats } from "../../src/compile/stats.js";
import { compileSummary } from "../../src/cli/commands/compile.js";
import { tempDir } from "../helpers/collect.js";

const KEY = "AKIAIOSFODNN7EXAMPLQ";
/** Also in the trajectory's own text: found at import, so `report` does not count it twice. */
const LEAD = "dana.whitfield@contoso-mail.com";

test("compile redacts evidence read from --db (not only the imported trajectory) unless redaction is off, and counts it in the summary", async () => {
  const dir = tempDir();
  const db = join(dir, "ops.sqlite");
  const database = new Database(db);
  database.exec("CREATE TABLE deploys (id INTEGER, service TEXT, aws_key TEXT); CREATE TABLE teams (id INTEGER, name TEXT, lead TEXT)");
  database.prepare("INSERT INTO deploys VALUES (1, 'billing', ?)").run(KEY);
  database.prepare("INSERT INTO teams VALUES (1, 'core', ?)").run(LEAD);
  database.close();
  const input = join(dir, "sql.jsonl");
  const call = { id: "c", type: "function", function: { name: "run_sql", arguments: JSON.stringify({ sql: "SELECT service FROM deploys" }) } };
  writeFileSync(input, `${JSON.stringify({ messages: [
    { role: "user", content: "Which service was deployed?" },
    { role: "assistant", content: null, tool_calls: [call] },
    { role: "tool", tool_call_id: "c", content: `billing (owner ${LEAD})` },
    { role: "assistant", content: "billing" },
  ] })}\n`);
  const run = async (redact: "on" | "report" | "off") => {
    const out = tempDir();
    const stats = await compileRun({
      inputs: [input],
      outDir: out,
      import: { redact },
      setup: {
        tokenizer: "qwen3",
        sample: { seed: 0, lengths: DEFAULT_LENGTHS, question: "after", distractors: true, splitOversize: false, keepFailed: false },
        sources: { db, maxTableChars: 100_000, maxDirectoryDistractors: 0 },
      },
      workers: 1,
      poolMaxPieces: 100,
      poolMaxChars: 1_000_000,
      poolMaxPieceChars: 100_000,
    });
    return { prompt: JSON.parse(readFileSync(join(out, "samples.jsonl"), "utf8")).messages[0].content as string, stats: stats.data, out };
  };
  const on = await run("on");
  assert.ok(!on.prompt.includes(KEY) && !on.prompt.includes(LEAD));
  assert.match(on.prompt, /billing \| <SECRET:aws-access-key>/);
  assert.deepEqual(on.stats.secrets, { email: 1 });
  assert.deepEqual(on.stats.evidence_secrets, { "aws-access-key": 1, email: 1 });
  assert.deepEqual(JSON.parse(readFileSync(join(on.out, "stats.json"), "utf8")).evidence_secrets, { "aws-access-key": 1, email: 1 });
  const summary = compileSummary(CompileStats.from(on.stats), "on");
  assert.match(summary, /aws-access-key\s+1\n/);
  assert.match(summary, /email\s+2\n/);
  assert.match(summary, /secrets redacted: 3 \(1 in 1 trajectories, 2 in evidence read from --repo and --db\)/);

  const report = await run("report");
  assert.ok(report.prompt.includes(KEY));
  assert.deepEqual(report.stats.secrets, { email: 1 });
  assert.deepEqual(report.stats.evidence_secrets, { "aws-access-key": 1 }, "the lead's address is in the trajectory: counted once, at import");

  const off = await run("off");
  assert.ok(off.prompt.includes(KEY));
  assert.deepEqual(off.stats.evidence_secrets, {});
});
