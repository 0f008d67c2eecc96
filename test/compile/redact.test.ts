import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { DEFAULT_LENGTHS } from "../../src/compile/lengths.js";
import { compileRun } from "../../src/compile/run.js";
import { tempDir } from "../helpers/collect.js";

const KEY = "AKIAIOSFODNN7EXAMPLQ";

test("compile redacts evidence read from --db (not only the imported trajectory) unless redaction is off", async () => {
  const dir = tempDir();
  const db = join(dir, "ops.sqlite");
  const database = new Database(db);
  database.exec("CREATE TABLE deploys (id INTEGER, service TEXT, aws_key TEXT); CREATE TABLE teams (id INTEGER, name TEXT)");
  database.prepare("INSERT INTO deploys VALUES (1, 'billing', ?)").run(KEY);
  database.prepare("INSERT INTO teams VALUES (1, 'core')").run();
  database.close();
  const input = join(dir, "sql.jsonl");
  const call = { id: "c", type: "function", function: { name: "run_sql", arguments: JSON.stringify({ sql: "SELECT service FROM deploys" }) } };
  writeFileSync(input, `${JSON.stringify({ messages: [
    { role: "user", content: "Which service was deployed?" },
    { role: "assistant", content: null, tool_calls: [call] },
    { role: "tool", tool_call_id: "c", content: "billing" },
    { role: "assistant", content: "billing" },
  ] })}\n`);
  const run = async (redact: "on" | "off") => {
    const out = tempDir();
    await compileRun({
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
    return JSON.parse(readFileSync(join(out, "samples.jsonl"), "utf8")).messages[0].content as string;
  };
  const redacted = await run("on");
  assert.ok(!redacted.includes(KEY));
  assert.match(redacted, /billing \| <SECRET:aws-access-key>/);
  assert.ok((await run("off")).includes(KEY));
});
