import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { EXAMPLE_LOGS } from "../helpers/examples.js";
import { runCli, tempDir } from "../helpers/collect.js";
import { itemSample } from "../teach/helpers.js";

const logs = readFileSync(join(EXAMPLE_LOGS, "search-agents.jsonl"));
const spools = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`acc-stdin-${process.pid}-`));

test("- reads stdin where one file goes in: import (plain and gzip), inspect; records name their file -; the copy of stdin is removed", async () => {
  const viaFile = await runCli(["import", join(EXAMPLE_LOGS, "search-agents.jsonl"), "-q", "--rejects", join(tempDir(), "r")]);
  const viaStdin = await runCli(["import", "-", "-q", "--rejects", join(tempDir(), "r")], { stdin: logs });
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  const lines = viaStdin.stdout.trim().split("\n").map((line) => JSON.parse(line) as { source: { file: string } });
  assert.equal(lines.length, viaFile.stdout.trim().split("\n").length);
  assert.deepEqual([...new Set(lines.map((t) => t.source.file))], ["-"]);
  const gzipped = await runCli(["import", "-", "-q", "--rejects", join(tempDir(), "r")], { stdin: gzipSync(logs) });
  assert.equal(gzipped.stdout, viaStdin.stdout);
  const inspect = await runCli(["inspect", "-", "--json", "-q"], { stdin: logs });
  assert.equal(JSON.parse(inspect.stdout).imported, lines.length);
  assert.deepEqual(spools(), []);
});

test("- writes stdout where one file goes out, and pipes from one command to the next: import | compile, samples | export, verify samples -o -", async () => {
  const dir = tempDir();
  const imported = await runCli(["import", "-", "-o", "-", "-q", "--rejects", join(dir, "r")], { stdin: logs });
  const compiled = await runCli(["compile", "-", "-o", join(dir, "compile"), "-q"], { stdin: imported.stdout });
  assert.equal(compiled.code, 0, compiled.stderr);
  const samples = readFileSync(join(dir, "compile", "samples.jsonl"), "utf8");
  assert.ok(samples.length > 0);
  const exported = await runCli(["export", "-", "--to", "openai", "-o", join(dir, "openai")], { stdin: samples });
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(readFileSync(join(dir, "openai", "train.jsonl"), "utf8").trim().split("\n").length, samples.trim().split("\n").length);
  const sample = `${JSON.stringify(itemSample(3))}\n`;
  const verified = await runCli(["verify", "samples", "-", "-o", "-", "-q"], { stdin: sample });
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(JSON.parse(verified.stdout).pass, true);
  assert.match(verified.stderr, /verdicts: stdout/);
  const summary = await runCli(["import", "-", "-o", join(dir, "t.jsonl"), "--summary-json", "-", "-q"], { stdin: logs });
  assert.equal(JSON.parse(summary.stdout).imported, 3);
  const both = await runCli(["import", "-", "--summary-json", "-", "-q"], { stdin: logs });
  assert.equal(both.code, 2);
  assert.deepEqual(spools(), []);
});

test("eval: --data - reads items from stdin, --save-data - writes them to stdout", async () => {
  const saved = await runCli(["eval", "graphwalks", "--data", "generated:sizes=4k,per-size=2", "--save-data", "-", "-q"]);
  assert.equal(saved.code, 0, saved.stderr);
  const rows = saved.stdout.trim().split("\n");
  assert.equal(rows.length, 4);
  const again = await runCli(["eval", "graphwalks", "--data", "-", "--save-data", "-", "-q"], { stdin: saved.stdout });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.stdout.trim().split("\n").map((row) => JSON.parse(row).prompt), rows.map((row) => JSON.parse(row).prompt));
});
