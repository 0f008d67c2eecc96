import { type Html, html, joinHtml, type Value } from "../html.js";

/** Characters of one text block shown on a page; the rest is left out with a note saying how much. */
export const MAX_TEXT_CHARS = 100_000;

export function shorten(text: string, max: number): string {
  // a long text is flattened from its head only (collapsing whitespace never lengthens it): when that head
  // alone flattens past `max`, the whole text's cut is the same
  const head = text.length > 4 * max + 64 ? text.slice(0, 4 * max + 64).replace(/\s+/g, " ").trim() : undefined;
  const flat = head !== undefined && head.length > max ? head : text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toLocaleString("en-US", { maximumFractionDigits: 4 });
}

export function plural(count: number, word: string, words = `${word}s`): string {
  return `${formatNumber(count)} ${count === 1 ? word : words}`;
}

/** A block of preformatted text, cut at MAX_TEXT_CHARS with the count of what was left out. */
export function textBlock(text: string, className = "text"): Html {
  if (text.length <= MAX_TEXT_CHARS) return html`<pre class="${className}">${text}</pre>`;
  const rest = text.length - MAX_TEXT_CHARS;
  return html`<pre class="${className}">${text.slice(0, MAX_TEXT_CHARS)}</pre><p class="note">${plural(rest, "more character")} not shown (the record holds them all).</p>`;
}

export function jsonBlock(value: unknown): Html {
  return textBlock(JSON.stringify(value, null, 2) ?? "undefined", "json");
}

/** A folded block: `summary` always shown, `body` on demand. */
export function fold(summary: Value, body: Value, options: { open?: boolean; className?: string; id?: string } = {}): Html {
  return html`<details class="${options.className ?? "fold"}"${options.id ? html` id="${options.id}"` : ""}${options.open ? html` open` : ""}><summary>${summary}</summary>${body}</details>`;
}

export function badge(text: string, tone: "good" | "bad" | "warn" | "info" | "muted" = "info"): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

/** Label/value pairs; pairs whose value is undefined or null are left out. */
export function facts(pairs: readonly (readonly [string, Value])[]): Html {
  const shown = pairs.filter(([, value]) => value !== undefined && value !== null && value !== "");
  if (shown.length === 0) return html``;
  return html`<dl class="facts">${shown.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}</dl>`;
}

export function section(title: Value, body: Value, id?: string): Html {
  return html`<section class="part"${id ? html` aria-labelledby="${id}"` : ""}><h2${id ? html` id="${id}"` : ""}>${title}</h2>${body}</section>`;
}

/** A table with a header row; cells are values (escaped) or Html. */
export function table(head: readonly string[], rows: readonly (readonly Value[])[], caption?: string): Html {
  return html`<div class="table-wrap"><table>${caption ? html`<caption>${caption}</caption>` : ""}<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

export function list(items: readonly Value[]): Html {
  return html`<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>`;
}

export function link(href: string, label: Value): Html {
  return html`<a href="${href}">${label}</a>`;
}

export { joinHtml };
