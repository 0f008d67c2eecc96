import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { serveTasks } from "../run/worker-serve.js";

/** A search run on a worker thread, off the event loop that drives the episodes. */
export interface SearchTask {
  /** The FTS5 query (matchExpression). */
  match: string;
  k: number;
}

export interface SearchHit {
  id: string;
  title: string;
  /** The start of the document, whitespace flattened, up to `snippetChars` (with … when cut). */
  snippet: string;
  /** FTS5's bm25(): the negated BM25 score (lower is better). */
  rank: number;
}

/**
 * How much a title occurrence of a query term counts against one in the text (search-index.ts: the ranking).
 * Here, not in search-index.ts, so that a search thread loads neither zod nor the index builder.
 */
const TITLE_WEIGHT = 2;

const { index, snippetChars } = workerData as { index: string; snippetChars: number };
const db = new Database(index, { readonly: true, fileMustExist: true });
// best first; equal scores by id, so results never depend on the order the corpus was indexed in
const search = db.prepare(`
  SELECT d.id AS id, d.title AS title, substr(d.text, 1, ?) AS head, bm25(fts, ${TITLE_WEIGHT}, 1.0) AS rank
  FROM fts JOIN docs d ON d.rowid = fts.rowid
  WHERE fts MATCH ?
  ORDER BY rank, d.id
  LIMIT ?`);

serveTasks((task: SearchTask): SearchHit[] => {
  const rows = search.all(4 * snippetChars, task.match, task.k) as { id: string; title: string; head: string; rank: number }[];
  return rows.map((row) => ({ id: row.id, title: row.title, snippet: snippet(row.head), rank: row.rank }));
});

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > snippetChars ? `${flat.slice(0, snippetChars)}…` : flat;
}
