// Decides what kind of statement a piece of SQL is BEFORE SQLite sees it: preparing a statement is not
// harmless in SQLite (many PRAGMAs take effect while they are compiled, ATTACH and VACUUM INTO name files),
// so only read-only statements are ever prepared. The tokenizer follows SQLite's own (src/tokenize.c):
// comments, the four quoting styles, blobs and the identifier characters; statements are told apart by
// their leading keywords, which is all the decision needs. A full SQL parser would refuse queries SQLite
// accepts (dialect gaps), and the npm parsers that know SQLite's dialect are unmaintained or GPL.
import { AccError } from "../errors/acc-error.js";
import type { ErrorCode } from "../errors/codes.js";

/** One token of SQLite's lexical grammar (whitespace and comments are dropped). */
export interface SqlToken {
  kind: "word" | "quoted" | "string" | "number" | "variable" | "punct";
  /** The word upper-cased; the punctuation itself; the raw text otherwise. */
  text: string;
}

/** What may run: a query (SELECT, VALUES, WITH … SELECT, EXPLAIN of one) or a read-only PRAGMA. */
export type StatementClass = { ok: true; kind: "query" | "pragma" } | { ok: false; reason: string };

/** PRAGMAs that read and take one table or index name: `PRAGMA table_info(t)`. Their argument form cannot set anything. */
const PRAGMAS_WITH_NAME = new Set(["TABLE_INFO", "TABLE_XINFO", "INDEX_LIST", "INDEX_INFO", "INDEX_XINFO", "FOREIGN_KEY_LIST", "TABLE_LIST"]);
/** PRAGMAs that read when given no argument (with one, several of them would set a value). */
const PRAGMAS_BARE = new Set([
  "TABLE_LIST",
  "COLLATION_LIST",
  "FUNCTION_LIST",
  "MODULE_LIST",
  "PRAGMA_LIST",
  "COMPILE_OPTIONS",
  "ENCODING",
  "PAGE_COUNT",
  "PAGE_SIZE",
  "FREELIST_COUNT",
  "USER_VERSION",
  "APPLICATION_ID",
  "SCHEMA_VERSION",
  "FOREIGN_KEYS",
]);
const QUERY_STARTS = new Set(["SELECT", "VALUES", "WITH"]);
const MAIN_STATEMENTS = new Set(["SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"]);

/** The text cannot be tokenized (an unterminated string, a NUL): the statement is refused. */
export class SqlSyntaxError extends AccError {
  protected override defaultCode(): ErrorCode {
    return "sql-error";
  }
  override name = "SqlSyntaxError";
}

const isIdentifierChar = (code: number) =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || code === 0x24 || code >= 0x80;
const isSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;

/** SQLite's tokens of `sql`, split into statements at semicolons (empty statements dropped). */
export function tokenizeStatements(sql: string): SqlToken[][] {
  const statements: SqlToken[][] = [];
  let current: SqlToken[] = [];
  let i = 0;
  const closing = (quote: string, from: number, what: string): number => {
    // a doubled quote inside is the quote itself (not for [brackets])
    let at = from;
    for (;;) {
      const end = sql.indexOf(quote, at);
      if (end === -1) throw new SqlSyntaxError(`unterminated ${what}`);
      if (quote !== "]" && sql[end + 1] === quote) at = end + 2;
      else return end;
    }
  };
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    const ch = sql[i]!;
    if (c === 0) throw new SqlSyntaxError("the statement contains a NUL character");
    if (isSpace(c)) {
      i++;
    } else if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === "/" && sql[i + 1] === "*") {
      // an unterminated comment runs to the end (as in SQLite)
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === ";") {
      if (current.length > 0) statements.push(current);
      current = [];
      i++;
    } else if (ch === "'") {
      const end = closing("'", i + 1, "string");
      current.push({ kind: "string", text: sql.slice(i, end + 1) });
      i = end + 1;
    } else if (ch === '"' || ch === "`" || ch === "[") {
      const end = closing(ch === "[" ? "]" : ch, i + 1, "quoted identifier");
      current.push({ kind: "quoted", text: sql.slice(i, end + 1) });
      i = end + 1;
    } else if ((ch === "x" || ch === "X") && sql[i + 1] === "'") {
      const end = closing("'", i + 2, "blob literal");
      current.push({ kind: "string", text: sql.slice(i, end + 1) });
      i = end + 1;
    } else if ((c >= 0x30 && c <= 0x39) || (ch === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      let end = i + 1;
      while (end < sql.length && (isIdentifierChar(sql.charCodeAt(end)) || sql[end] === "." || ((sql[end] === "+" || sql[end] === "-") && /[eE]/.test(sql[end - 1]!)))) end++;
      current.push({ kind: "number", text: sql.slice(i, end) });
      i = end;
    } else if (ch === "?" || ch === ":" || ch === "@" || ch === "$") {
      let end = i + 1;
      while (end < sql.length && isIdentifierChar(sql.charCodeAt(end))) end++;
      current.push({ kind: "variable", text: sql.slice(i, end) });
      i = end;
    } else if (isIdentifierChar(c)) {
      let end = i + 1;
      while (end < sql.length && isIdentifierChar(sql.charCodeAt(end))) end++;
      current.push({ kind: "word", text: sql.slice(i, end).toUpperCase() });
      i = end;
    } else {
      const two = sql.slice(i, i + 2);
      const three = sql.slice(i, i + 3);
      const op = ["->>"].includes(three) ? three : ["||", "<=", ">=", "==", "!=", "<>", "<<", ">>", "->"].includes(two) ? two : ch;
      current.push({ kind: "punct", text: op });
      i += op.length;
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

const isWord = (token: SqlToken | undefined, ...words: string[]) => token?.kind === "word" && words.includes(token.text);

/** The statement after a WITH clause: the first SELECT, VALUES, INSERT, REPLACE, UPDATE or DELETE outside parentheses. */
function mainAfterWith(tokens: SqlToken[]): string | undefined {
  let depth = 0;
  for (const token of tokens.slice(1)) {
    if (token.text === "(") depth++;
    else if (token.text === ")") depth--;
    else if (depth === 0 && token.kind === "word" && MAIN_STATEMENTS.has(token.text)) return token.text;
  }
  return undefined;
}

function classifyPragma(tokens: SqlToken[]): StatementClass {
  let at = 1;
  // an optional schema name: PRAGMA main.table_info(t)
  if (tokens[at + 1]?.text === ".") at += 2;
  const name = tokens[at];
  const rest = tokens.slice(at + 1);
  if (!name || (name.kind !== "word" && name.kind !== "quoted")) return { ok: false, reason: "a PRAGMA needs a name" };
  const pragma = name.kind === "word" ? name.text : name.text.slice(1, -1).toUpperCase();
  if (rest.length === 0 && PRAGMAS_BARE.has(pragma)) return { ok: true, kind: "pragma" };
  const oneName = rest.length === 3 && rest[0]!.text === "(" && rest[2]!.text === ")" && ["word", "quoted", "string"].includes(rest[1]!.kind);
  if (oneName && PRAGMAS_WITH_NAME.has(pragma)) return { ok: true, kind: "pragma" };
  return {
    ok: false,
    reason: `PRAGMA ${pragma.toLowerCase()}${rest.length > 0 ? " with an argument" : ""} is not one of the read-only pragmas run here (${[...PRAGMAS_WITH_NAME].map((p) => `${p.toLowerCase()}(name)`).join(", ")}, or ${[...PRAGMAS_BARE].map((p) => p.toLowerCase()).join(", ")} without an argument)`,
  };
}

/**
 * Whether `sql` is one statement that only reads: SELECT, VALUES, WITH … SELECT, EXPLAIN [QUERY PLAN] of
 * one of them, or a PRAGMA from the read-only list. Decided from the tokens alone, before any prepare.
 */
export function classifyStatement(sql: string): StatementClass {
  let statements: SqlToken[][];
  try {
    statements = tokenizeStatements(sql);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
  if (statements.length === 0) return { ok: false, reason: "there is no statement" };
  if (statements.length > 1) return { ok: false, reason: `one statement at a time (this text has ${statements.length})` };
  let tokens = statements[0]!;
  if (isWord(tokens[0], "EXPLAIN")) {
    tokens = isWord(tokens[1], "QUERY") && isWord(tokens[2], "PLAN") ? tokens.slice(3) : tokens.slice(1);
    if (!isWord(tokens[0], ...QUERY_STARTS)) return { ok: false, reason: "EXPLAIN is run only for SELECT, VALUES and WITH queries" };
  }
  const first = tokens[0]!;
  if (isWord(first, "PRAGMA")) return classifyPragma(tokens);
  if (!isWord(first, ...QUERY_STARTS)) {
    return { ok: false, reason: `only queries are run (SELECT, VALUES, WITH … SELECT, EXPLAIN, read-only PRAGMAs); this statement starts with ${first.text.slice(0, 40)}` };
  }
  if (first.text === "WITH") {
    const main = mainAfterWith(tokens);
    if (main !== "SELECT" && main !== "VALUES") return { ok: false, reason: `a WITH clause is run only before a SELECT or VALUES${main ? `, not ${main}` : ""}` };
  }
  return { ok: true, kind: "query" };
}
