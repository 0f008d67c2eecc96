import type { Entry } from "./context.js";
import { type Html, html } from "./html.js";
import { page } from "./layout.js";
import { binOf } from "./render/charts.js";
import { facts, formatNumber, link, plural, shorten, table } from "./render/common.js";

/** Rows on one list page, and entries in one search shard (the shard of that page). */
export const PAGE_SIZE = 100;
/** Distinct domains, and outcomes per domain, counted apart; the rest are counted as "other". */
const MAX_KEYS = 24;

export interface Unreadable {
  line: number;
  reason: string;
}

/** What a section counts while its records stream by: bounded by MAX_KEYS, not by the input. */
export class SectionStats {
  records = 0;
  unreadable = 0;
  readonly kinds = new Map<string, number>();
  readonly domains = new Map<string, { count: number; lengths: Map<number, number>; outcomes: Map<string, number> }>();
  readonly outcomes = new Map<string, number>();
  /** The first unreadable lines, listed on the section's page. */
  readonly unreadableLines: Unreadable[] = [];

  add(entry: Entry, kind: string): void {
    this.records++;
    bump(this.kinds, kind, 1);
    const domainKey = capped(this.domains, entry.domain || "(none)");
    let domain = this.domains.get(domainKey);
    if (!domain) this.domains.set(domainKey, (domain = { count: 0, lengths: new Map(), outcomes: new Map() }));
    domain.count++;
    if (entry.length !== null) bump(domain.lengths, binOf(entry.length), 1);
    bump(domain.outcomes, capped(domain.outcomes, entry.outcome || "(none)"), 1);
    bump(this.outcomes, capped(this.outcomes, entry.outcome || "(none)"), 1);
  }

  addUnreadable(line: number, reason: string): void {
    this.unreadable++;
    if (this.unreadableLines.length < 100) this.unreadableLines.push({ line, reason });
  }
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function capped(map: Map<string, unknown>, key: string): string {
  return map.has(key) || map.size < MAX_KEYS ? key : "other";
}

export interface SectionInfo {
  /** Folder of the section's pages under site/. */
  slug: string;
  /** The input file, as given or found. */
  file: string;
  /** Heading: what the file holds. */
  title: string;
  /** The folder group it belongs to on the overview (its stage). */
  group: string;
}

type WriteFile = (path: string, text: string) => Promise<void>;

/**
 * The list pages and search shards of one input file, written as its records stream by: page k is
 * written once page k+1 starts (so its "next" link is right), page 1 (the section's index, with the
 * search form and the totals) at the end. At most two pages of entries are held.
 */
export class SectionWriter {
  readonly stats = new SectionStats();
  private first: Entry[] = [];
  private current: Entry[] = [];
  private pageNumber = 1;
  lengthUnit = "";
  plural = "records";

  constructor(
    readonly info: SectionInfo,
    private readonly write: WriteFile,
  ) {}

  async add(entry: Entry, kind: string): Promise<void> {
    this.stats.add(entry, kind);
    if (this.current.length === PAGE_SIZE) await this.turnPage(true);
    this.current.push(entry);
  }

  async finish(extra: Html): Promise<void> {
    await this.turnPage(false);
    const pages = this.pageNumber - 1;
    const root = "../../";
    const s = this.stats;
    const domains = [...s.domains.keys()].sort();
    const outcomes = [...s.outcomes.keys()].sort();
    const unit = this.lengthUnit;
    const search = html`<form class="search" role="search" aria-label="Search ${this.plural}" data-pages="${pages}" data-root="${root}">
<div class="field"><label for="q">Search</label><input id="q" name="q" type="search" placeholder="words in the title, id or answer"></div>
<div class="field"><label for="domain">Domain</label><select id="domain" name="domain"><option value="">any</option>${domains.map((d) => html`<option>${d}</option>`)}</select></div>
<div class="field"><label for="outcome">Outcome</label><select id="outcome" name="outcome"><option value="">any</option>${outcomes.map((o) => html`<option>${o}</option>`)}</select></div>
${unit ? html`<div class="field"><label for="min">Min ${unit}</label><input id="min" name="min" type="number" min="0" inputmode="numeric"></div><div class="field"><label for="max">Max ${unit}</label><input id="max" name="max" type="number" min="0" inputmode="numeric"></div>` : ""}
<div class="field buttons"><button type="submit">Search</button> <button type="reset">Clear</button></div>
</form>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div id="results" class="results" hidden></div>`;
    const unreadable =
      s.unreadable === 0
        ? ""
        : html`<section class="part" aria-labelledby="unreadable"><h2 id="unreadable">Unreadable lines (${formatNumber(s.unreadable)})</h2>${table(
            ["line", "reason"],
            s.unreadableLines.map((u) => [u.line, u.reason]),
          )}${s.unreadable > s.unreadableLines.length ? html`<p class="note">The first ${s.unreadableLines.length} are listed.</p>` : ""}</section>`;
    const body = html`${facts([
      ["file", this.info.file],
      ["records", `${formatNumber(s.records)} ${this.plural}${s.unreadable > 0 ? `, ${plural(s.unreadable, "unreadable line")}` : ""}`],
      ["kinds", s.kinds.size > 1 ? [...s.kinds].map(([k, n]) => `${k} ${formatNumber(n)}`).join(", ") : undefined],
    ])}${extra}${search}<div class="listing">${this.listTable(this.first, 0, root)}${this.pager(1, pages)}</div>${unreadable}`;
    await this.write(`site/${this.info.slug}/index.html`, page({ title: this.info.title, root, crumbs: this.crumbs(), body }));
  }

  private crumbs() {
    return [{ label: "overview", href: "index.html" }, { label: this.info.title }];
  }

  /** Writes the page of `current` (page 1 stays in memory until finish) and its search shard. */
  private async turnPage(more: boolean): Promise<void> {
    const entries = this.current;
    const number = this.pageNumber;
    if (entries.length === 0 && number > 1) return;
    const shard = entries.map((e) => [e.path, e.title, e.domain, e.length, e.outcome, shorten(e.text, 240)]);
    await this.write(`site/${this.info.slug}/search/${number}.js`, `accShard(${number}, ${JSON.stringify(shard)});\n`);
    if (number === 1) this.first = entries;
    else {
      const root = "../../";
      const body = html`<p><a href="index.html">Search and filter all ${this.plural}</a></p>${this.listTable(entries, (number - 1) * PAGE_SIZE, root)}${this.pager(number, more ? number + 1 : number)}`;
      await this.write(`site/${this.info.slug}/page-${number}.html`, page({ title: `${this.info.title}, page ${number}`, root, crumbs: [{ label: "overview", href: "index.html" }, { label: this.info.title, href: `site/${this.info.slug}/index.html` }, { label: `page ${number}` }], body }));
    }
    this.current = [];
    this.pageNumber++;
  }

  private listTable(entries: readonly Entry[], offset: number, root: string): Html {
    if (entries.length === 0) return html`<p class="note">No records.</p>`;
    const unit = this.lengthUnit;
    return table(
      ["#", "record", "domain", unit || "length", "outcome"],
      entries.map((e, i) => [offset + i + 1, link(root + e.path, e.title), e.domain, e.length === null ? "" : formatNumber(e.length), e.outcome]),
    );
  }

  /** Links to the first, previous, next and last pages; `last` is the last page known when this one is written. */
  private pager(current: number, last: number): Html {
    if (last <= 1) return html``;
    const href = (n: number) => (n === 1 ? "index.html" : `page-${n}.html`);
    const items = [
      current > 1 ? html`<li><a href="${href(1)}">first</a></li><li><a href="${href(current - 1)}" rel="prev">previous</a></li>` : "",
      html`<li><span aria-current="page">page ${current}${current === 1 ? ` of ${last}` : ""}</span></li>`,
      current < last ? html`<li><a href="${href(current + 1)}" rel="next">next</a></li>` : "",
      current === 1 && last > 2 ? html`<li><a href="${href(last)}">last</a></li>` : "",
    ];
    return html`<nav class="pager" aria-label="Pages"><ul>${items}</ul></nav>`;
  }
}
