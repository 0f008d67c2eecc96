import { type Html, html } from "./html.js";
import { page } from "./layout.js";
import { barChart, binLabel, histogram } from "./render/charts.js";
import { facts, fold, formatNumber, jsonBlock, link, plural, section, table } from "./render/common.js";
import type { SectionStats } from "./section.js";
import { isRecord } from "../json.js";

export interface OverviewSection {
  slug: string;
  file: string;
  title: string;
  plural: string;
  lengthUnit: string;
  stats: SectionStats;
}

export interface OverviewGroup {
  /** The folder (or "inputs" for files given one by one). */
  name: string;
  /** The stage that wrote it, from its .acc-output.json. */
  stage?: string;
  sections: OverviewSection[];
  /** JSON documents of the folder (stats.json, summary.json, manifest.json …). */
  documents: { file: string; value: unknown }[];
  /** Files the view does not show, with why. */
  skipped: { file: string; why: string }[];
}

/** Outcomes that count as passing when a pass rate is given, and outcomes that say nothing either way. */
const PASSING = new Set(["success", "correct", "kept"]);
const UNKNOWN = new Set(["unknown", "(none)", "other"]);

/** The site's front page: per folder, each section's counts and charts, and the stage's own statistics. */
export function renderOverview(groups: readonly OverviewGroup[], totals: { records: number; unreadable: number; files: number }): string {
  const body = html`${facts([
    ["inputs", `${plural(totals.files, "file")}, ${plural(totals.records, "record")}${totals.unreadable > 0 ? `, ${plural(totals.unreadable, "unreadable line")}` : ""}`],
  ])}<nav aria-label="Sections" class="toc"><ul>${groups.map((g, i) => html`<li><a href="#group-${i}">${g.name}</a>${g.stage ? ` (${g.stage})` : ""}</li>`)}</ul></nav>${groups.map(renderGroup)}`;
  return page({ title: "Overview", root: "", crumbs: [{ label: "overview" }], body });
}

function renderGroup(group: OverviewGroup, index: number): Html {
  const sections = group.sections.map(renderSection);
  const documents = group.documents.map((d) => renderDocument(d.file, d.value));
  const skipped = group.skipped.length === 0 ? "" : html`<p class="muted">Not shown: ${group.skipped.map((s, i) => html`${i > 0 ? "; " : ""}<code>${s.file}</code> (${s.why})`)}</p>`;
  return html`<section class="group" aria-labelledby="group-${index}"><h2 id="group-${index}">${group.name}${group.stage ? html` <span class="muted">· acc ${group.stage}</span>` : ""}</h2>${
    group.sections.length > 0
      ? table(
          ["file", "holds", "records", "unreadable lines"],
          group.sections.map((s) => [link(`site/${s.slug}/index.html`, s.file), s.plural, formatNumber(s.stats.records), formatNumber(s.stats.unreadable)]),
        )
      : ""
  }${sections}${documents}${skipped}</section>`;
}

function renderSection(s: OverviewSection): Html {
  const stats = s.stats;
  if (stats.records === 0) return html``;
  const domains = [...stats.domains.entries()].sort(([a], [b]) => a.localeCompare(b));
  const outcomes = [...stats.outcomes.entries()].sort((a, b) => b[1] - a[1]);
  const hasRate = outcomes.some(([o]) => PASSING.has(o));
  const rows = domains.map(([domain, d]) => {
    const passed = [...d.outcomes].filter(([o]) => PASSING.has(o)).reduce((sum, [, n]) => sum + n, 0);
    const known = [...d.outcomes].filter(([o]) => !UNKNOWN.has(o)).reduce((sum, [, n]) => sum + n, 0);
    const rate = known === 0 ? "–" : `${((100 * passed) / known).toFixed(1)}% of ${formatNumber(known)}`;
    return [domain, formatNumber(d.count), ...(hasRate ? [rate] : []), [...d.outcomes].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o} ${formatNumber(n)}`).join(", ")];
  });
  const histograms = s.lengthUnit
    ? domains.filter(([, d]) => d.lengths.size > 0).map(([domain, d], i) => fold(`${domain}: ${s.lengthUnit} (${formatNumber(d.count)} records, ${[...d.lengths.keys()].length} bins from ${binLabel(Math.min(...d.lengths.keys()))})`, histogram(`${s.title}, ${domain}: ${s.lengthUnit}`, d.lengths, s.lengthUnit), { open: i === 0 }))
    : [];
  return section(
    s.title,
    html`${table(["domain", "records", ...(hasRate ? ["pass rate"] : []), "outcomes"], rows)}${barChart(s.plural === "rejects" ? `Reject reasons in ${s.file}` : `Outcomes in ${s.file}`, outcomes, { tone: s.plural === "rejects" ? "bad" : "bar" })}${
      histograms.length > 0 ? html`<h3>Length per domain</h3>${histograms}` : ""
    }`,
  );
}

/**
 * A stage's own JSON (stats.json, summary.json, manifest.json …): its scalar fields as facts, every map of
 * numbers (histograms, reasons, counts by kind) as a bar chart, nested objects as subsections.
 */
export function renderDocument(file: string, value: unknown): Html {
  return section(html`<code>${file}</code>`, renderValue(value, 0));
}

function renderValue(value: unknown, depth: number): Html {
  if (!isRecord(value)) return jsonBlock(value);
  const scalars: [string, string][] = [];
  const parts: Html[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (child === null || typeof child !== "object") scalars.push([key, typeof child === "number" ? formatNumber(child) : String(child)]);
    else if (isRecord(child) && Object.keys(child).length > 0 && Object.values(child).every((v) => typeof v === "number")) {
      const entries = Object.entries(child as Record<string, number>);
      if (entries.every(([k]) => /^\d+(\.\d+)?$/.test(k))) entries.sort((a, b) => Number(a[0]) - Number(b[0]));
      parts.push(barChart(key, entries));
    } else if (isRecord(child) && depth < 3) parts.push(html`<div class="nested"><h3>${key}</h3>${renderValue(child, depth + 1)}</div>`);
    else parts.push(fold(key, jsonBlock(child)));
  }
  return html`${facts(scalars)}${parts}`;
}
