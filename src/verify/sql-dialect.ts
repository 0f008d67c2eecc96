// The SQL text the verifier needs to read: SQLite's token boundaries (string literals, quoted
// identifiers, comments) and the outer query's clauses. A lexer of its own because only these five
// token kinds matter and a full parser would refuse the dialect mix real datasets hold (see
// docs/commands/verify.md, "Why a lexer of its own").

export type TokenKind = "string" | "double-quoted" | "quoted" | "comment" | "space" | "word" | "other";

export interface Token {
  kind: TokenKind;
  text: string;
  /** Parenthesis depth at the token (0: the outer query). */
  depth: number;
}

/** SQLite's tokens as far as quoting goes: '…' (with ''), "…" (with ""), `…`, […], -- and /* comments. */
export function sqlTokens(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, text: sql.slice(i, end), depth });
    i = end;
  };
  const closing = (quote: string, from: number, doubled: boolean) => {
    let j = from;
    for (;;) {
      const at = sql.indexOf(quote, j);
      if (at === -1) return sql.length;
      if (doubled && sql[at + 1] === quote) j = at + 2;
      else return at + 1;
    }
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") push("string", closing("'", i + 1, true));
    else if (c === '"') push("double-quoted", closing('"', i + 1, true));
    else if (c === "`") push("quoted", closing("`", i + 1, true));
    else if (c === "[") push("quoted", closing("]", i + 1, false));
    else if (c === "-" && sql[i + 1] === "-") push("comment", sql.indexOf("\n", i) === -1 ? sql.length : sql.indexOf("\n", i));
    else if (c === "/" && sql[i + 1] === "*") push("comment", sql.indexOf("*/", i + 2) === -1 ? sql.length : sql.indexOf("*/", i + 2) + 2);
    else if (/\s/.test(c)) push("space", i + (/^\s+/.exec(sql.slice(i))![0].length));
    else if (/[\p{L}\p{N}_$]/u.test(c)) push("word", i + /^[\p{L}\p{N}_$]+/u.exec(sql.slice(i))![0].length);
    else {
      if (c === ")") depth = Math.max(0, depth - 1);
      push("other", i + 1);
      if (c === "(") depth++;
    }
  }
  return tokens;
}

const unquote = (token: Token) => token.text.slice(1, -1).replace(/""/g, '"');

/**
 * The query with every double-quoted token reading `content` turned into a single-quoted string literal,
 * as SQLite's default build reads a double-quoted name that names no column (SQLITE_DQS). better-sqlite3
 * is built without that misfeature, and Spider's gold queries rely on it (`WHERE airline = "JetBlue"`).
 */
export function asStringLiteral(sql: string, content: string): string {
  return sqlTokens(sql)
    .map((token) => (token.kind === "double-quoted" && unquote(token) === content ? `'${content.replace(/'/g, "''")}'` : token.text))
    .join("");
}

/** The name SQLite's DQS error points at ("no such column: "x" - should this be a string literal in single-quotes?"), when it is that error. */
export function unresolvedDoubleQuoted(message: string): string | undefined {
  const match = /no such column: "((?:[^"]|"")*)" - should this be a string literal/.exec(message);
  return match ? match[1]!.replace(/""/g, '"') : undefined;
}

const code = (tokens: Token[]) => tokens.filter((t) => t.kind !== "space" && t.kind !== "comment");
const isWord = (token: Token | undefined, word: string) => token?.kind === "word" && token.text.toLowerCase() === word;

/** Whether the outer query (not a subquery) has an ORDER BY. */
export function hasTopLevelOrderBy(sql: string): boolean {
  const outer = code(sqlTokens(sql)).filter((t) => t.depth === 0);
  return outer.some((t, i) => isWord(t, "order") && isWord(outer[i + 1], "by"));
}

/** Splits tokens on commas at `depth`. */
function splitOnCommas(tokens: Token[], depth: number): Token[][] {
  const parts: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === "other" && token.text === "," && token.depth === depth) parts.push([]);
    else parts.at(-1)!.push(token);
  }
  return parts.filter((part) => code(part).length > 0);
}

const text = (tokens: Token[]) => tokens.map((t) => t.text).join("").trim();
const normalized = (tokens: Token[]) => code(tokens).map((t) => (t.kind === "word" ? t.text.toLowerCase() : t.text)).join(" ");

/**
 * The outer query rewritten to also return the values it is ordered by, so that rows tied on them can be
 * compared as groups: `{ sql, width, keys }` where the first `width` columns are the query's own and
 * `keys` are the columns (own or appended) holding each ORDER BY key. Undefined when the query is not one
 * plain SELECT with a top-level ORDER BY (compound selects, VALUES).
 */
export function withOrderKeys(sql: string): { sql: string; width: number; keys: number[] } | undefined {
  const tokens = sqlTokens(sql.replace(/;\s*$/, ""));
  const outer = tokens.map((t, i) => ({ t, i })).filter(({ t }) => t.depth === 0 && t.kind !== "space" && t.kind !== "comment");
  if (outer.some(({ t }) => ["union", "intersect", "except"].some((w) => isWord(t, w)))) return undefined;
  const select = outer.find(({ t }) => isWord(t, "select"));
  const from = outer.find(({ t, i }) => isWord(t, "from") && i > (select?.i ?? Infinity));
  const orderIndex = outer.findIndex(({ t }, k) => isWord(t, "order") && isWord(outer[k + 1]?.t, "by"));
  if (!select || orderIndex === -1) return undefined;
  const orderBy = outer[orderIndex + 1]!.i;
  const limit = outer.find(({ t, i }) => i > orderBy && isWord(t, "limit"))?.i ?? tokens.length;
  let listStart = select.i + 1;
  const first = outer.find(({ i }) => i > select.i);
  if (first && (isWord(first.t, "distinct") || isWord(first.t, "all"))) listStart = first.i + 1;
  const listEnd = from?.i ?? orderIndex;
  const items = splitOnCommas(tokens.slice(listStart, from ? from.i : outer[orderIndex]!.i), 0);
  // `*` and `t.*` hide which columns there are: no key can be matched to one
  if (items.some((item) => code(item).at(-1)!.text === "*" && (code(item).length === 1 || code(item).at(-2)!.text === "."))) return undefined;
  // `expr AS name`, `expr name`, `f(x) name`: the last token names the column
  const aliases = items.map((item) => {
    const c = code(item);
    const last = c.at(-1)!;
    const before = c.at(-2);
    const named = c.length >= 2 && last.kind !== "other" && last.kind !== "string" && (before!.kind !== "other" || before!.text === ")");
    if (!named) return { expression: normalized(item), alias: undefined };
    const cut = isWord(before, "as") ? c.length - 2 : c.length - 1;
    return { expression: normalized(c.slice(0, cut)), alias: unquoted(last).toLowerCase() };
  });
  const extra: string[] = [];
  const keys: number[] = [];
  for (const key of splitOnCommas(tokens.slice(orderBy + 1, limit), 0)) {
    let c = code(key);
    // the direction and collation do not change which rows tie
    while (c.length > 1 && ["asc", "desc", "first", "last", "nulls"].some((w) => isWord(c.at(-1), w))) c = c.slice(0, -1);
    const collate = c.findIndex((t) => isWord(t, "collate"));
    if (collate > 0) c = c.slice(0, collate);
    const expression = text(c);
    if (c.length === 1 && /^\d+$/.test(c[0]!.text)) {
      keys.push(Number(c[0]!.text) - 1);
      continue;
    }
    const name = c.length === 1 ? unquoted(c[0]!).toLowerCase() : undefined;
    const own = aliases.findIndex((a) => (name !== undefined && a.alias === name) || a.expression === normalized(c));
    if (own !== -1) keys.push(own);
    else {
      keys.push(items.length + extra.length);
      extra.push(expression);
    }
  }
  if (keys.some((k) => k < 0 || k >= items.length + extra.length)) return undefined;
  const before = tokens.slice(0, listEnd).map((t) => t.text).join("").replace(/\s+$/, "");
  const after = tokens.slice(listEnd).map((t) => t.text).join("");
  const rewritten = extra.length === 0 ? sql : `${before}, ${extra.join(", ")} ${after}`;
  return { sql: rewritten, width: items.length, keys };
}

function unquoted(token: Token): string {
  return token.kind === "double-quoted" || token.kind === "quoted" ? token.text.slice(1, -1) : token.text;
}
