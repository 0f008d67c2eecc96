import { type Html, html } from "../html.js";
import { formatNumber, shorten } from "./common.js";

// Charts are inline SVG: no script, no style attribute (the page's policy forbids inline styles), colours
// from classes in view.css. Every chart carries its numbers as text too, so nothing is said by colour alone.

const WIDTH = 640;
const LABEL_WIDTH = 220;
const VALUE_WIDTH = 90;
const ROW = 22;

export interface Segment {
  label: string;
  value: number;
  /** A class of view.css: evidence, context, distractor, question, target, good, bad, … */
  tone: string;
}

/** One horizontal bar cut into segments, with a legend that gives each segment's value and share. */
export function stackedBar(title: string, segments: readonly Segment[], unit: string): Html {
  const total = segments.reduce((sum, s) => sum + Math.max(0, s.value), 0);
  let x = 0;
  const rects = segments.map((s) => {
    const width = total === 0 ? 0 : (Math.max(0, s.value) / total) * WIDTH;
    const rect = html`<rect class="tone-${s.tone}" x="${x.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="28"><title>${s.label}: ${formatNumber(s.value)} ${unit}</title></rect>`;
    x += width;
    return rect;
  });
  const legend = segments.map(
    (s) => html`<li><span class="swatch tone-${s.tone}" aria-hidden="true"></span>${s.label}: ${formatNumber(s.value)} ${unit}${total > 0 ? ` (${((100 * Math.max(0, s.value)) / total).toFixed(1)}%)` : ""}</li>`,
  );
  return html`<figure class="chart"><svg class="bar" role="img" aria-label="${title}" viewBox="0 0 ${WIDTH} 28" width="${WIDTH}" height="28" preserveAspectRatio="none">${rects}</svg><figcaption><ul class="legend">${legend}</ul></figcaption></figure>`;
}

/** Horizontal bars, one per label, each with its value written beside it. */
export function barChart(title: string, rows: readonly (readonly [string, number])[], options: { unit?: string; tone?: string; format?: (value: number) => string } = {}): Html {
  if (rows.length === 0) return html``;
  const max = Math.max(...rows.map(([, value]) => value), 0);
  const format = options.format ?? ((value: number) => formatNumber(value));
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = rows.length * ROW + 4;
  const bars = rows.map(([label, value], i) => {
    const y = i * ROW + 2;
    const width = max <= 0 ? 0 : (Math.max(0, value) / max) * plot;
    return html`<g><title>${label}: ${format(value)}${options.unit ? ` ${options.unit}` : ""}</title><text class="label" x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${shorten(label, 32)}</text><rect class="tone-${options.tone ?? "bar"}" x="${LABEL_WIDTH}" y="${y + 3}" width="${width.toFixed(2)}" height="${ROW - 6}"></rect><text class="value" x="${(LABEL_WIDTH + width + 6).toFixed(2)}" y="${y + 15}">${format(value)}</text></g>`;
  });
  return html`<figure class="chart"><figcaption>${title}</figcaption><svg class="bars" role="img" aria-label="${title}: ${rows.map(([label, value]) => `${label} ${format(value)}`).join(", ")}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">${bars}</svg></figure>`;
}

/** Power-of-two bins: the bin of `value` is its lower bound (0, 1, 2, 4, 8, …). */
export function binOf(value: number): number {
  if (value < 1) return 0;
  return 2 ** Math.floor(Math.log2(value));
}

export function binLabel(lower: number): string {
  if (lower === 0) return "0";
  return `${compact(lower)}–${compact(lower * 2)}`;
}

function compact(n: number): string {
  if (n >= 1 << 30) return `${n / (1 << 30)}G`;
  if (n >= 1 << 20) return `${n / (1 << 20)}M`;
  if (n >= 1 << 10) return `${n / (1 << 10)}k`;
  return String(n);
}

/** A histogram over power-of-two bins, empty bins between the smallest and largest shown as zero. */
export function histogram(title: string, counts: ReadonlyMap<number, number>, unit: string): Html {
  const bins = [...counts.keys()].sort((a, b) => a - b);
  if (bins.length === 0) return html``;
  const rows: [string, number][] = [];
  for (let lower = bins[0]!; lower <= bins.at(-1)!; lower = lower === 0 ? 1 : lower * 2) rows.push([`${binLabel(lower)} ${unit}`, counts.get(lower) ?? 0]);
  return barChart(title, rows, { unit: "records" });
}
