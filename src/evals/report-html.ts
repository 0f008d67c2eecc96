import { CONTEXT_BINS } from "./bins.js";
import { type EvalSummary, formatCell, type ScoreTable } from "./report.js";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 20, right: 130, bottom: 48, left: 56 };

/** A self-contained HTML page (no scripts, no external files): counts, settings, a chart and the tables. */
export function renderHtmlReport(summary: EvalSummary): string {
  const title = `${summary.eval} · ${summary.model ?? "graded responses"}`;
  const { counts } = summary;
  const facts: [string, string][] = [
    ["items", String(counts.items)],
    ["graded", String(counts.graded)],
    ["failed", String(counts.failed)],
    ["without a response", String(counts.missing)],
    ["resumed / from cache", `${counts.resumed} / ${counts.cached}`],
    ["mean score", summary.overall.mean === null ? "-" : (100 * summary.overall.mean).toFixed(1)],
    ...Object.entries(summary.settings),
  ];
  const primary = summary.tables[0];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f3f3; }
.chart text { font: 12px system-ui, sans-serif; fill: #333; }
.grid { stroke: #e5e5e5; } .axis { stroke: #888; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<table class="facts">${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
${primary && primary.bins.length > 1 ? `<h2>Score against context length</h2>\n${renderChart(primary)}` : ""}
${summary.tables.map(renderTableHtml).join("\n")}
<p>Scores are means ×100 over graded items; (n) is the number of items.</p>
</body>
</html>
`;
}

function renderTableHtml(scoreTable: ScoreTable): string {
  const head = `<tr>${["bin", ...scoreTable.groups].map((g) => `<th>${escapeHtml(g)}</th>`).join("")}</tr>`;
  const rows = scoreTable.bins
    .map((bin) => `<tr><td>${escapeHtml(bin)}</td>${scoreTable.groups.map((g) => `<td>${escapeHtml(formatCell(scoreTable.cells[bin]![g]!))}</td>`).join("")}</tr>`)
    .join("\n");
  return `<h2>${escapeHtml(scoreTable.title)}</h2>\n<table class="scores"><thead>${head}</thead><tbody>\n${rows}\n</tbody></table>`;
}

/**
 * Mean score (y, 0–100) per context bin (x, one step per doubling of length, i.e. a log scale, empty bins
 * between the shortest and longest kept as gaps), one line per group and a dashed line for all groups
 * together. Points carry a <title> with the mean and n.
 */
function renderChart(scoreTable: ScoreTable): string {
  const present = scoreTable.bins.filter((bin) => bin !== "all");
  const order: readonly string[] = CONTEXT_BINS;
  const bins = order.slice(order.indexOf(present[0]!), order.indexOf(present.at(-1)!) + 1);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => MARGIN.left + ((i + 0.5) * plotWidth) / bins.length;
  const y = (score: number) => MARGIN.top + plotHeight * (1 - score);
  const parts: string[] = [];
  for (let tick = 0; tick <= 100; tick += 20) {
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick / 100)}" y2="${y(tick / 100)}"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(tick / 100) + 4}" text-anchor="end">${tick}</text>`);
  }
  bins.forEach((bin, i) => {
    parts.push(`<text x="${x(i)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escapeHtml(bin)}</text>`);
  });
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(0)}" y2="${y(0)}"/>`);
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${y(1)}" y2="${y(0)}"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 8}" text-anchor="middle">context length (o200k_base tokens, bin upper edge)</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">mean score ×100</text>`);
  scoreTable.groups.forEach((group, g) => {
    const color = group === "all" ? "#222" : PALETTE[g % PALETTE.length]!;
    const points = bins.flatMap((bin, i) => {
      const value = scoreTable.cells[bin]?.[group];
      return value?.mean == null ? [] : [{ px: x(i), py: y(value.mean), label: `${group}, ${bin}: ${formatCell(value)}` }];
    });
    const dash = group === "all" ? ' stroke-dasharray="6 4"' : "";
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${points.map((p) => `${round(p.px)},${round(p.py)}`).join(" ")}"/>`);
    }
    for (const p of points) parts.push(`<circle cx="${round(p.px)}" cy="${round(p.py)}" r="4" fill="${color}"><title>${escapeHtml(p.label)}</title></circle>`);
    const legendY = MARGIN.top + 10 + g * 20;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 16}" x2="${WIDTH - MARGIN.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right + 46}" y="${legendY + 4}">${escapeHtml(group)}</text>`);
  });
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="mean score against context length">\n${parts.join("\n")}\n</svg>`;
}

function round(value: number): string {
  return value.toFixed(1);
}

export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}
