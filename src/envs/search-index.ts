import { createHash } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, openSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { UsageError } from "../errors/acc-error.js";
import { readJsonLines } from "../io/json-lines.js";
import { trackTemp } from "../io/cleanup.js";
import { makeDirectory } from "../io/directory.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import { isRecord } from "../json.js";

/**
 * The search index: a SQLite file holding the corpus (table `docs`) and an FTS5 full-text index over
 * its titles and texts (table `fts`, external content, so each text is stored once). Built once from
 * the JSONL corpus, then opened from disk by every run: nothing is rebuilt while the corpus file keeps
 * its size and modification time.
 *
 * Ranking is textbook Okapi BM25 as FTS5 computes it (its `bm25()`): for each query term t,
 * idf(t) · f·(k1 + 1) / (f + k1·(1 − b + b·|D|/avgdl)), summed over the terms, with k1 = 1.2, b = 0.75,
 * idf(t) = ln((N − n(t) + 0.5) / (n(t) + 0.5)) (floored at 10⁻⁶ for terms in more than half of the
 * documents), f = TITLE_WEIGHT (search-worker.ts) × occurrences in the title + occurrences in the text, |D| the document's
 * length in tokens (title and text) and avgdl the mean. Tokens: Unicode letters and digits, case and
 * diacritics folded, English words stemmed (Porter). See docs/environments.md for how this compares with
 * MiniSearch's BM25+ on real search-agent queries.
 */

/** Bumped when the layout or the tokenizer changes: an index of another format is rebuilt. */
export const SEARCH_INDEX_FORMAT = 1;
const TOKENIZER = "porter unicode61 remove_diacritics 2";
/** Documents inserted per transaction while building. */
const BATCH = 10_000;

/** A corpus line that is not a document. */
export class CorpusError extends UsageError {
  override name = "CorpusError";
}

export interface SearchIndex {
  /** The index file. */
  path: string;
  documents: number;
  /** Whether this call built it (else it was found up to date on disk). */
  built: boolean;
}

/** The meta row of an index: what a later run checks before reusing it. Lenient (other fields may follow). */
const Meta = z.object({
  format: z.number().int(),
  corpus_size: z.number().int().nonnegative(),
  corpus_mtime_ms: z.number(),
  documents: z.number().int().nonnegative(),
});
type Meta = z.infer<typeof Meta>;

/** The first bytes of every SQLite database file. */
const SQLITE_HEADER = "SQLite format 3\u0000";

/** Whether `path` is a SQLite file (a built index given in place of the corpus). */
export function isSqliteFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString("latin1") === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the index of `corpus` lives: beside it (`<corpus>.index.sqlite`), or, when that folder cannot be
 * written, in the system's temporary folder under a name derived from the corpus's absolute path.
 */
export function defaultIndexPath(corpus: string): string {
  const beside = `${corpus}.index.sqlite`;
  try {
    accessSync(dirname(resolve(corpus)), constants.W_OK);
    return beside;
  } catch {
    const name = createHash("sha256").update(resolve(corpus)).digest("hex").slice(0, 24);
    return join(tmpdir(), "acc-search-index", `${name}.sqlite`);
  }
}

/** Builds in this process so far: each writes its own temporary file. */
let builds = 0;

/**
 * The index of `corpus` at `path`, built (atomically: a temporary file renamed into place) when missing
 * or out of date; `onBuild` hears where just before a build starts (it can take minutes on a large corpus).
 */
export async function ensureSearchIndex(corpus: string, path = defaultIndexPath(corpus), onBuild?: (path: string) => void): Promise<SearchIndex> {
  const { size, mtimeMs } = statSync(corpus);
  const found = existsSync(path) ? readMeta(path) : undefined;
  if (found && found.format === SEARCH_INDEX_FORMAT && found.corpus_size === size && found.corpus_mtime_ms === mtimeMs) {
    return { path, documents: found.documents, built: false };
  }
  onBuild?.(path);
  await makeDirectory(dirname(path), path);
  const temporary = `${path}.tmp-${process.pid}-${builds++}`;
  const untrack = trackTemp(temporary);
  try {
    const documents = await build(corpus, temporary, { format: SEARCH_INDEX_FORMAT, corpus_size: size, corpus_mtime_ms: mtimeMs });
    renameSync(temporary, path);
    return { path, documents, built: true };
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    untrack();
  }
}

/**
 * The meta row of an index file, or undefined when it is not a readable index: no meta row, not JSON, or
 * another shape (an index may be given in place of the corpus: a file from anywhere).
 */
export function readMeta(path: string): Meta | undefined {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'index'").get() as { value: unknown } | undefined;
      if (typeof row?.value !== "string") return undefined;
      const checked = Meta.safeParse(JSON.parse(row.value));
      return checked.success ? checked.data : undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

async function build(corpus: string, path: string, meta: Omit<Meta, "documents">): Promise<number> {
  rmSync(path, { force: true });
  const db = new Database(path);
  try {
    // a temporary file renamed into place when complete: no journal is needed to survive a crash
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, url TEXT, text TEXT NOT NULL);
      CREATE VIRTUAL TABLE fts USING fts5(title, text, content = 'docs', content_rowid = 'rowid', tokenize = '${TOKENIZER}');
    `);
    const insertDoc = db.prepare("INSERT INTO docs (rowid, id, title, url, text) VALUES (?, ?, ?, ?, ?)");
    const insertText = db.prepare("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)");
    const insert = db.transaction((rows: { line: number; document: Document }[]) => {
      for (const { line, document } of rows) {
        const rowid = documents + 1;
        try {
          insertDoc.run(rowid, document.id, document.title, document.url ?? null, document.text);
        } catch (error) {
          if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw new CorpusError(`${corpus} line ${line}: document id ${JSON.stringify(document.id)} appears twice`);
          throw error;
        }
        insertText.run(rowid, document.title, document.text);
        documents++;
      }
    });
    let documents = 0;
    let batch: { line: number; document: Document }[] = [];
    for await (const line of readJsonLines(corpus, DEFAULT_MAX_LINE_BYTES)) {
      const where = `${corpus} line ${line.line}`;
      if ("error" in line) throw new CorpusError(`${where}: ${line.detail}`);
      batch.push({ line: line.line, document: documentOf(line.value, where) });
      if (batch.length >= BATCH) {
        insert(batch);
        batch = [];
      }
    }
    insert(batch);
    if (documents === 0) throw new CorpusError(`${corpus}: the corpus has no documents`);
    // one b-tree per term instead of one per batch: faster queries
    db.exec("INSERT INTO fts (fts) VALUES ('optimize')");
    db.prepare("INSERT INTO meta (key, value) VALUES ('index', ?)").run(JSON.stringify({ ...meta, documents } satisfies Meta));
    return documents;
  } finally {
    db.close();
  }
}

export interface Document {
  id: string;
  title: string;
  text: string;
  url?: string;
}

function documentOf(row: unknown, where: string): Document {
  if (!isRecord(row)) throw new CorpusError(`${where}: expected a JSON object`);
  const id = typeof row["id"] === "number" ? String(row["id"]) : row["id"];
  if (typeof id !== "string" || id === "") throw new CorpusError(`${where}: "id" must be a non-empty string or a number`);
  if (typeof row["text"] !== "string") throw new CorpusError(`${where}: "text" must be a string`);
  if (row["title"] !== undefined && typeof row["title"] !== "string") throw new CorpusError(`${where}: "title" must be a string`);
  const document: Document = { id, title: (row["title"] as string | undefined) ?? "", text: row["text"] };
  if (typeof row["url"] === "string") document.url = row["url"];
  return document;
}

/**
 * The FTS5 query for an agent's words: each run of letters and digits (as the index's tokenizer sees
 * them) once, quoted so that no word is read as FTS5 syntax (AND, NEAR, `*`, column filters), joined
 * by OR. Undefined when the query has no word.
 */
export function matchExpression(query: string): string | undefined {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [])];
  return words.length === 0 ? undefined : words.map((word) => `"${word}"`).join(" OR ");
}
