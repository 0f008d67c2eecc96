import { createHash } from "node:crypto";
import Database from "better-sqlite3";

/** Kinds of records that get a page of their own under site/records/<kind>/. */
export type PageKind = "trajectory" | "sample" | "episode" | "chain" | "stage" | "pr" | "link" | "eval-result" | "reject" | "record";

/** Where a record's page lives, relative to the site's root folder. */
export function recordPath(kind: PageKind, key: string): string {
  return `site/records/${kind}/${key}.html`;
}

/** A file name for an id: a readable prefix of its safe characters, then a hash of the whole id (and its repeat). */
export function pageKey(id: string, repeat = 0): string {
  const slug = id.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  const hash = createHash("sha256").update(repeat === 0 ? id : `${id}\u0000${repeat}`).digest("hex").slice(0, 16);
  return slug === "" ? hash : `${slug}-${hash}`;
}

/**
 * What the site builder must remember across records without holding it in memory: which records have
 * pages (so references to absent ones get a stub page, and a repeated id gets a page of its own), and
 * the records other pages show inline (a rollout's steps on its episode page; a mine's links, stage
 * instances and PRs on its chain pages). An SQLite file in the build folder with a small page cache, so
 * memory stays bounded whatever the input's size.
 */
export class ViewStore {
  private readonly db: Database.Database;
  private readonly statements;
  private pending = 0;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.pragma("cache_size = -8192");
    this.db.pragma("temp_store = FILE");
    this.db.exec(`
      CREATE TABLE pages (kind TEXT NOT NULL, id TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (kind, id)) WITHOUT ROWID;
      CREATE TABLE refs (kind TEXT NOT NULL, id TEXT NOT NULL, from_path TEXT NOT NULL, from_label TEXT NOT NULL);
      CREATE TABLE inline (kind TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE INDEX inline_key ON inline (kind, key, seq);
    `);
    this.statements = {
      page: this.db.prepare<[string, string], { key: string; count: number }>("SELECT key, count FROM pages WHERE kind = ? AND id = ?"),
      repeat: this.db.prepare("UPDATE pages SET count = count + 1 WHERE kind = ? AND id = ?"),
      addPage: this.db.prepare("INSERT INTO pages (kind, id, key) VALUES (?, ?, ?)"),
      addRef: this.db.prepare("INSERT INTO refs (kind, id, from_path, from_label) VALUES (?, ?, ?, ?)"),
      addInline: this.db.prepare("INSERT INTO inline (kind, key, seq, json) VALUES (?, ?, ?, ?)"),
      inline: this.db.prepare<[string, string], { json: string }>("SELECT json FROM inline WHERE kind = ? AND key = ? ORDER BY seq"),
      dangling: this.db.prepare<[], { kind: string; id: string; from_path: string; from_label: string }>(
        "SELECT r.kind, r.id, r.from_path, r.from_label FROM refs r LEFT JOIN pages p ON p.kind = r.kind AND p.id = r.id WHERE p.key IS NULL ORDER BY r.kind, r.id, r.rowid",
      ),
    };
    this.db.exec("BEGIN");
  }

  /** The key of the page a new record gets: its id's key, or a distinct one for each repeat of an id. */
  claimPage(kind: PageKind, id: string): string {
    const row = this.statements.page.get(kind, id);
    this.tick();
    if (row === undefined) {
      this.statements.addPage.run(kind, id, pageKey(id));
      return pageKey(id);
    }
    this.statements.repeat.run(kind, id);
    return pageKey(id, row.count);
  }

  /** The key a reference to (kind, id) links to: the first page of that id (or the one a stub will take). */
  refer(kind: PageKind, id: string, fromPath: string, fromLabel: string): string {
    const page = this.statements.page.get(kind, id);
    if (page !== undefined) return page.key;
    this.statements.addRef.run(kind, id, fromPath, fromLabel);
    this.tick();
    return pageKey(id);
  }

  /** Keeps a record to show inline on another record's page (looked up by `key`, in `seq` order). */
  keep(kind: string, key: string, seq: number, value: unknown): void {
    this.statements.addInline.run(kind, key, seq, JSON.stringify(value));
    this.tick();
  }

  kept<T>(kind: string, key: string): T[] {
    this.commit();
    return this.statements.inline.all(kind, key).map((row) => JSON.parse(row.json) as T);
  }

  /** References to records that got no page, grouped by record: each needs a stub page. */
  *dangling(): Generator<{ kind: PageKind; id: string; from: { path: string; label: string }[] }> {
    this.commit();
    let current: { kind: PageKind; id: string; from: { path: string; label: string }[] } | undefined;
    for (const row of this.statements.dangling.iterate()) {
      if (current && (current.kind !== row.kind || current.id !== row.id)) {
        yield current;
        current = undefined;
      }
      current ??= { kind: row.kind as PageKind, id: row.id, from: [] };
      if (current.from.length < 100) current.from.push({ path: row.from_path, label: row.from_label });
    }
    if (current) yield current;
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec("COMMIT");
    this.db.close();
  }

  private tick(): void {
    if (++this.pending >= 10_000) this.commit();
  }

  private commit(): void {
    if (this.pending === 0) return;
    this.db.exec("COMMIT");
    this.db.exec("BEGIN");
    this.pending = 0;
  }
}
