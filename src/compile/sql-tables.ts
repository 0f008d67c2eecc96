/**
 * Names of the tables a SQL text reads or writes: identifiers after FROM, JOIN, UPDATE, INTO and in
 * comma lists after FROM; comments and string literals ignored; CTE names excluded; quoted
 * identifiers ("x", `x`, [x]) unquoted; `schema.table` gives `table` (SQLite has one schema per file).
 */
export function tablesInSql(sql: string): string[] {
  const tokens = tokenize(sql);
  const ctes = new Set<string>();
  const tables: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.toLowerCase();
    if ((word === "with" || word === ",") && isIdentifier(tokens[i + 1]) && tokens[i + 2]?.toLowerCase() === "as") {
      ctes.add(unquote(tokens[i + 1]!).toLowerCase());
    }
    if (word === "recursive" && isIdentifier(tokens[i + 1]) && tokens[i + 2]?.toLowerCase() === "as") ctes.add(unquote(tokens[i + 1]!).toLowerCase());
    if (!["from", "join", "update", "into"].includes(word)) continue;
    let j = i + 1;
    for (;;) {
      const name = qualifiedName(tokens, j);
      if (name === undefined) break;
      tables.push(name.name);
      j = name.next;
      // skip an alias: `t`, `AS t`
      if (tokens[j]?.toLowerCase() === "as") j += 2;
      else if (isIdentifier(tokens[j]) && !KEYWORDS.has(tokens[j]!.toLowerCase())) j += 1;
      if (word !== "from" || tokens[j] !== ",") break;
      j += 1;
    }
  }
  const seen = new Set<string>();
  return tables.filter((t) => {
    const key = t.toLowerCase();
    if (ctes.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const KEYWORDS = new Set([
  "where", "join", "inner", "left", "right", "full", "outer", "cross", "natural", "on", "using", "group", "order",
  "limit", "having", "union", "intersect", "except", "select", "set", "values", "as", "window", "offset", "returning",
]);

function qualifiedName(tokens: string[], start: number): { name: string; next: number } | undefined {
  if (!isIdentifier(tokens[start]) || KEYWORDS.has(tokens[start]!.toLowerCase())) return undefined;
  let j = start;
  let name = unquote(tokens[j]!);
  while (tokens[j + 1] === "." && isIdentifier(tokens[j + 2])) {
    name = unquote(tokens[j + 2]!);
    j += 2;
  }
  return { name, next: j + 1 };
}

function isIdentifier(token: string | undefined): boolean {
  return token !== undefined && (/^[A-Za-z_][\w$]*$/.test(token) || /^(".*"|`.*`|\[.*\])$/.test(token));
}

function unquote(token: string): string {
  return /^(".*"|`.*`|\[.*\])$/.test(token) ? token.slice(1, -1) : token;
}

function tokenize(sql: string): string[] {
  const tokens: string[] = [];
  const pattern = /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][\w$]*|\d+(?:\.\d+)?|[(),.;*=<>!+\-/%]/g;
  for (const match of sql.matchAll(pattern)) {
    const token = match[0];
    if (token.startsWith("--") || token.startsWith("/*") || token.startsWith("'")) continue;
    tokens.push(token);
  }
  return tokens;
}
