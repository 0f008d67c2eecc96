import { copyFile, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AccError } from "../errors/acc-error.js";
import { trackTempDir } from "../io/cleanup.js";
import { makeDirectory } from "../io/directory.js";
import { readLines } from "../io/lines.js";
import { BUNDLED_TOKENIZERS, resolveTokenizer } from "../tokenize/resolve.js";
import type { Tokenizer } from "../tokenize/types.js";
import type { Entry, RenderContext } from "./context.js";
import { html } from "./html.js";
import { collectInputs, type InputGroup } from "./inputs.js";
import { classify, type FolderFacts, type KindHandler } from "./kinds.js";
import { page } from "./layout.js";
import { type OverviewGroup, renderOverview } from "./overview.js";
import { link, list, shorten } from "./render/common.js";
import { renderRecord } from "./render/misc.js";
import { SectionWriter } from "./section.js";
import { type PageKind, pageKey, recordPath, ViewStore } from "./store.js";

/** The viewer's own CSS and script, copied into every site (assets/view/ of the package). */
const ASSETS_DIR = fileURLToPath(new URL("../../assets/view/", import.meta.url));
const ASSETS = ["view.css", "view.js"];
/** Page files written at once. */
const WRITES_IN_FLIGHT = 32;

export interface ViewOptions {
  inputs: readonly string[];
  outDir: string;
  /** Called every 1,000 records and after each file; bytes are of the (decompressed) lines read. */
  onProgress?: (progress: { files: number; records: number; bytes: number; totalBytes: number }) => void;
}

export interface ViewStats {
  files: number;
  records: number;
  unreadable: number;
  pages: number;
  stubs: number;
  sections: { file: string; holds: string; records: number; unreadable: number }[];
}

/**
 * Builds the static site of `inputs` (files and folders acc wrote) in `outDir`: index.html and site/.
 * Records stream through one at a time; pages are written as they come; what pages share (which
 * records exist, what chains and episodes show inline) lives in an SQLite file, so memory stays bounded
 * whatever the input's size. The site is built in a hidden folder and moved into place at the end:
 * a failed run leaves the previous site (or nothing).
 */
export async function buildView(options: ViewOptions): Promise<ViewStats> {
  const groups = await collectInputs(options.inputs, options.outDir);
  await makeDirectory(options.outDir);
  const build = join(options.outDir, `.view-build-${process.pid}`);
  const untrack = trackTempDir(build);
  await rm(build, { recursive: true, force: true });
  await makeDirectory(build);
  const store = new ViewStore(join(build, "view.sqlite"));
  const files = new FileWriter(build);
  try {
    const stats = await buildSite(groups, store, files, options);
    if (stats.records === 0 && stats.documents === 0) throw nothingToShow(options.inputs, stats.unreadable);
    await files.drain();
    store.close();
    await rm(join(build, "view.sqlite"), { force: true });
    await rm(join(options.outDir, "site"), { recursive: true, force: true });
    await rename(join(build, "site"), join(options.outDir, "site"));
    await rename(join(build, "index.html"), join(options.outDir, "index.html"));
    await rm(build, { recursive: true, force: true });
    untrack();
    const { documents: _, ...counts } = stats;
    return { ...counts, pages: files.count };
  } catch (error) {
    store.close();
    await files.drain().catch(() => {});
    throw error;
  }
}

async function buildSite(groups: InputGroup[], store: ViewStore, files: FileWriter, options: ViewOptions): Promise<Omit<ViewStats, "pages"> & { documents: number }> {
  for (const asset of ASSETS) await files.copy(join(ASSETS_DIR, asset), `site/assets/${asset}`);
  const slugs = new Set<string>();
  const plan = await Promise.all(
    groups.flatMap((group) =>
      group.records.map(async (file) => ({ group, file, slug: uniqueSlug(slugs, `${group.name}-${basename(file).replace(/\.(jsonl|ndjson)(\.gz)?$/i, "")}`), first: await firstKind(file) })),
    ),
  );
  // Records other pages show inline (steps, links, stage instances, PRs) are read first.
  const order = [...plan].sort((a, b) => Number(b.first?.keep !== undefined) - Number(a.first?.keep !== undefined));
  const tokenizers = new Tokenizers();
  const overview = new Map<InputGroup, OverviewGroup>(
    groups.map((g) => [g, { name: g.name, ...(g.stage ? { stage: g.stage } : {}), sections: [], documents: [], skipped: g.skipped }]),
  );
  let records = 0;
  let unreadable = 0;
  let done = 0;
  let bytes = 0;
  const totalBytes = (await Promise.all(plan.map((p) => stat(p.file)))).reduce((sum, info) => sum + info.size, 0);
  const progress = () => options.onProgress?.({ files: done, records, bytes, totalBytes });
  const sections: ViewStats["sections"] = [];
  for (const item of order) {
    const title = `${item.first?.plural ?? "records"} · ${item.group.name}/${basename(item.file)}`;
    const section = new SectionWriter({ slug: item.slug, file: item.file, title, group: item.group.name }, (path, text) => files.write(path, text));
    section.plural = item.first?.plural ?? "records";
    section.lengthUnit = item.first?.lengthUnit ?? "";
    const folder: FolderFacts = item.group.repo ? { repo: item.group.repo } : {};
    for await (const raw of readLines(item.file)) {
      bytes += "text" in raw ? raw.text.length + 1 : 1;
      if ("error" in raw) {
        section.stats.addUnreadable(raw.line, raw.detail);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(raw.text);
      } catch (error) {
        section.stats.addUnreadable(raw.line, `not JSON: ${(error as Error).message}`);
        continue;
      }
      const entry = await addRecord(value, raw.line, { store, files, tokenizers, folder, section: { title, slug: item.slug } });
      await section.add(entry.entry, entry.kind);
      if (++records % 1000 === 0) progress();
    }
    const rejects = plan.filter((p) => p.group === item.group && p !== item && p.first?.kind === "reject");
    const extra =
      rejects.length > 0 && item.first?.kind !== "reject"
        ? html`<p>Rejected beside this run: ${rejects.map((r, i) => html`${i > 0 ? ", " : ""}${link(`../${r.slug}/index.html`, basename(r.file))}`)}</p>`
        : html``;
    await section.finish(extra);
    unreadable += section.stats.unreadable;
    overview.get(item.group)!.sections.push({ slug: item.slug, file: item.file, title, plural: section.plural, lengthUnit: section.lengthUnit, stats: section.stats });
    sections.push({ file: item.file, holds: section.plural, records: section.stats.records, unreadable: section.stats.unreadable });
    done++;
    progress();
  }
  for (const group of groups) {
    for (const file of group.documents) {
      try {
        // eslint-disable-next-line no-restricted-syntax -- any JSON document is shown as it is; an unreadable one is listed as skipped with its reason
        overview.get(group)!.documents.push({ file: basename(file), value: JSON.parse(await readFile(file, "utf8")) });
      } catch (error) {
        overview.get(group)!.skipped.push({ file: basename(file), why: `not readable as JSON: ${shorten((error as Error).message, 120)}` });
      }
    }
  }
  const stubs = await writeStubs(store, files);
  for (const g of overview.values()) g.sections.sort((a, b) => plan.findIndex((p) => p.slug === a.slug) - plan.findIndex((p) => p.slug === b.slug));
  await files.write("index.html", renderOverview([...overview.values()], { records, unreadable, files: plan.length }));
  const documents = [...overview.values()].reduce((sum, g) => sum + g.documents.length, 0);
  return { files: plan.length, records, unreadable, stubs, sections, documents };
}

/** A run that found no record and no readable JSON document fails (exit 1) and leaves no site. */
function nothingToShow(inputs: readonly string[], unreadable: number): AccError {
  const where = inputs.join(", ");
  return new AccError(
    unreadable > 0 ? `nothing to show in ${where}: all ${unreadable} lines are unreadable (not JSON); no site was written` : `nothing to show in ${where}: no JSONL record or JSON document; no site was written`,
    { code: "no-records", fix: "give acc view the files or folders a stage wrote (acc import, compile, rollout, mine, eval)" },
  );
}

interface RecordSetting {
  store: ViewStore;
  files: FileWriter;
  tokenizers: Tokenizers;
  folder: FolderFacts;
  section: { title: string; slug: string };
}

/** Gives one record its page (or its place on another's), keeps what other pages show of it, and returns its list entry. */
async function addRecord(value: unknown, line: number, setting: RecordSetting): Promise<{ entry: Entry; kind: string }> {
  const { store, files } = setting;
  const classified = classify(value);
  const handler = classified.handler as KindHandler<unknown>;
  const record = classified.value;
  const id = handler.id(record, line);
  const kept = handler.keep?.(record, line);
  if (kept) store.keep(kept.kind, kept.key, kept.seq, kept.value);
  if (handler.page === undefined) {
    const target = handler.shownOn!(record);
    const path = `${recordPath(target.kind, store.refer(target.kind, target.id, `site/${setting.section.slug}/index.html`, setting.section.title))}#${target.anchor}`;
    return { entry: handler.entry(record, path, line), kind: handler.kind };
  }
  const kind = handler.page.kind;
  const path = recordPath(kind, store.claimPage(kind, id));
  const title = "problems" in classified ? `Record at line ${line}` : handler.page.title(record);
  if (kind === "sample") await setting.tokenizers.load((record as { meta: { tokenizer: string } }).meta.tokenizer);
  const root = "../../../";
  const ctx: RenderContext = {
    recordHref: (targetKind: PageKind, targetId: string) => root + recordPath(targetKind, store.refer(targetKind, targetId, path, title)),
    kept: (k, key) => store.kept(k, key),
    countTokens: (name, text) => setting.tokenizers.count(name, text),
  };
  const body =
    "problems" in classified ? renderRecord(record, classified.problems) : handler.page.render(record, ctx, setting.folder, record as Record<string, unknown>);
  const crumbs = [{ label: "overview", href: "index.html" }, { label: setting.section.title, href: `site/${setting.section.slug}/index.html` }, { label: title }];
  await files.write(path, page({ title, root, crumbs, body: html`<p class="muted">line ${line} of the input</p>${body}` }));
  return { entry: handler.entry(record, path, line), kind: "problems" in classified ? `record (not a valid ${classified.claimed})` : handler.kind };
}

/** A page for every record that other pages link to but the inputs do not hold, saying so and who links to it. */
async function writeStubs(store: ViewStore, files: FileWriter): Promise<number> {
  let stubs = 0;
  const root = "../../../";
  for (const missing of store.dangling()) {
    const title = `${missing.kind} ${shorten(missing.id, 80)} (not in the inputs)`;
    const body = html`<p class="note">This ${missing.kind} is not among the inputs of this view, so there is nothing to show. Give its file to <code>acc view</code> too to see it.</p><h2>Linked from</h2>${list(
      missing.from.map((f) => link(root + f.path, f.label)),
    )}`;
    await files.write(recordPath(missing.kind, pageKey(missing.id)), page({ title, root, crumbs: [{ label: "overview", href: "index.html" }, { label: title }], body }));
    stubs++;
  }
  return stubs;
}

/** The kind of a file's first readable record, which decides its section's heading and reading order. */
async function firstKind(file: string): Promise<KindHandler | undefined> {
  for await (const raw of readLines(file)) {
    if ("error" in raw) continue;
    try {
      return classify(JSON.parse(raw.text)).handler as KindHandler;
    } catch {
      continue;
    }
  }
  return undefined;
}

function uniqueSlug(taken: Set<string>, name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "records";
  let slug = base;
  for (let n = 2; taken.has(slug) || slug === "assets" || slug === "records"; n++) slug = `${base}-${n}`;
  taken.add(slug);
  return slug;
}

/** Token counts for sample pages: bundled tokenizers only (a record never makes the viewer read a path it names). */
class Tokenizers {
  private readonly loaded = new Map<string, Tokenizer | null>();

  async load(name: string): Promise<void> {
    if (this.loaded.has(name)) return;
    const bundled = (BUNDLED_TOKENIZERS as readonly string[]).includes(name);
    this.loaded.set(name, bundled ? await resolveTokenizer(name).catch(() => null) : null);
  }

  count(name: string, text: string): { count: number; exact: boolean } {
    const tokenizer = this.loaded.get(name);
    return tokenizer ? { count: tokenizer.count(text), exact: true } : { count: Math.ceil(text.length / 4), exact: false };
  }
}

/** Writes the site's files with a bounded number in flight, making folders as needed. */
class FileWriter {
  private readonly folders = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  count = 0;

  constructor(private readonly root: string) {}

  async write(path: string, text: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const target = join(this.root, path);
    await this.folder(dirname(target));
    while (this.inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(this.inFlight);
    const pending: Promise<void> = writeFile(target, text)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(pending));
    this.inFlight.add(pending);
    this.count++;
  }

  async copy(from: string, path: string): Promise<void> {
    const target = join(this.root, path);
    await this.folder(dirname(target));
    await copyFile(from, target);
  }

  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  private async folder(path: string): Promise<void> {
    if (this.folders.has(path)) return;
    await makeDirectory(path);
    this.folders.add(path);
  }
}
