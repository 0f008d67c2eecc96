import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { contextBin } from "../../src/evals/bins.js";
import { GRAPHWALKS_SPLIT } from "../../src/evals/evaluate.js";
import { renderSummary, summarize } from "../../src/evals/report.js";
import { renderHtmlReport } from "../../src/evals/report-html.js";
import type { ResultRecord } from "../../src/evals/results.js";
import { Random } from "../../src/random.js";
import { tempDir } from "../helpers/collect.js";

test("bins follow the MRCR card edges: [4096, 8192], then (lo, hi] by doubling, with <4k and >1M around them", () => {
  const cases: [number, string][] = [
    [0, "<4k"], [4095, "<4k"], [4096, "8k"], [8192, "8k"], [8193, "16k"], [131072, "128k"], [131073, "256k"],
    [524288, "512k"], [524289, "1M"], [1048576, "1M"], [1048577, ">1M"],
  ];
  for (const [tokens, bin] of cases) assert.equal(contextBin(tokens), bin, String(tokens));
  assert.deepEqual([131072, 131073].map(GRAPHWALKS_SPLIT.of), ["≤128k", ">128k"]);
});

function records(): ResultRecord[] {
  const random = new Random(1, "report");
  return Array.from({ length: 200 }, (_, i) => {
    const tokens = random.pick([3000, 5000, 12_000, 20_000, 50_000, 100_000, 200_000]) + random.int(0, 1000);
    return { id: `r${i}`, group: random.pick(["2 needles", "4 needles", "8 needles"]), tokens, bin: contextBin(tokens), score: random.next(), detail: {}, response: "" };
  });
}

const counts = { items: 203, graded: 200, failed: 2, over_context: 0, missing: 1, resumed: 0, cached: 0, unmatched_responses: 0 };

test("means per bin × group, per bin, per group and overall match a direct computation", () => {
  const rows = records();
  const summary = summarize({ eval: "mrcr", model: "m", settings: {}, counts, records: rows });
  const mean = (list: ResultRecord[]) => list.reduce((s, r) => s + r.score, 0) / list.length;
  const [table] = summary.tables;
  assert.deepEqual(table!.groups, ["2 needles", "4 needles", "8 needles", "all"]);
  assert.deepEqual(table!.bins, ["<4k", "8k", "16k", "32k", "64k", "128k", "256k", "all"]);
  for (const bin of table!.bins) {
    for (const group of table!.groups) {
      const members = rows.filter((r) => (bin === "all" || r.bin === bin) && (group === "all" || r.group === group));
      const cell = table!.cells[bin]![group]!;
      assert.equal(cell.n, members.length, `${bin} ${group}`);
      if (members.length) assert.ok(Math.abs(cell.mean! - mean(members)) < 1e-12, `${bin} ${group}`);
    }
  }
  assert.equal(summary.overall.n, 200);
  const text = renderSummary(summary);
  assert.match(text, /mrcr · m: 200 of 203 items graded, 2 failed, 1 without a response/);
  assert.match(text, /warning: means cover graded items only/);
  const allRow = text.split("\n").find((line) => line.startsWith("all "))!;
  assert.ok(allRow.endsWith(`${(100 * mean(rows)).toFixed(1)} (200)`), allRow);
});

test("the HTML report is self-contained: inline SVG chart with one point per non-empty cell, escaped text, no scripts", () => {
  const rows = records();
  const summary = summarize({ eval: "graphwalks", model: '<script>alert("x")</script>', settings: { parse: "brackets" }, counts, records: rows, coarse: GRAPHWALKS_SPLIT });
  const html = renderHtmlReport(summary);
  assert.ok(html.startsWith("<!doctype html>"));
  assert.ok(!/<script|src=|href=|@import|url\(/i.test(html), "nothing external, nothing executable");
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  const [table] = summary.tables;
  const points = table!.bins.filter((b) => b !== "all").flatMap((bin) => table!.groups.filter((g) => table!.cells[bin]![g]!.n > 0));
  assert.equal(html.match(/<circle /g)?.length, points.length);
  assert.equal(html.match(/<polyline /g)?.length, table!.groups.length);
  assert.equal(html.match(/<table class="scores">/g)?.length, 2, "context bins and the ≤128k / >128k split");
});

const CHROMIUM = "/usr/bin/chromium";

test("a real headless Chromium renders the report: the DOM it builds has the chart and both tables", { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not found; rendering check skipped (structure is checked above)` }, () => {
  const file = join(tempDir(), "report.html");
  const summary = summarize({ eval: "mrcr", model: "m", settings: {}, counts, records: records() });
  writeFileSync(file, renderHtmlReport(summary));
  const run = spawnSync(CHROMIUM, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const dom = run.stdout;
  assert.match(dom, /<svg class="chart"/);
  assert.equal(dom.match(/<circle /g)?.length, renderHtmlReport(summary).match(/<circle /g)?.length);
  assert.match(dom, /<title>2 needles, 8k: [\d.]+ \(\d+\)<\/title>/);
  assert.equal(dom.match(/<tr>/g)?.length, renderHtmlReport(summary).match(/<tr>/g)?.length);
});
