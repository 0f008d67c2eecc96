import parseSqlite from "@appland/sql-parser";
import { init, parse } from "@guanmingchiu/sqlparser-ts";

/**
 * How a statement's tables were read: by sqlparser-rs (its SQLite dialect), by the SQLite grammar of
 * @appland/sql-parser when sqlparser-rs refused the statement, or not at all (neither parses it).
 */
export type SqlParse = "sqlparser" | "sqlite-grammar" | "unparsed";

let ready: Promise<void> | undefined = undefined;
let loaded = false;

/** Loads the SQL parser (WebAssembly); call once per thread before `tablesInSql`. */
export function loadSqlParser(): Promise<void> {
  ready ??= init().then(() => {
    loaded = true;
  });
  return ready;
}

/**
 * The tables a SQL text reads or writes, in order of first appearance: FROM and JOIN items at any
 * depth (subqueries, set operations, expressions), INSERT/REPLACE targets, UPDATE and DELETE tables;
 * a name that a WITH clause defines is not a table where that clause is in scope (so in
 * `WITH sales AS (… FROM sales) …` the inner `sales` is the table); `schema.table` gives `table`.
 */
export function tablesInSql(sql: string): { tables: string[]; parse: SqlParse } {
  // invariant: every caller awaits loadSqlParser() first
  if (!loaded) throw new Error("tablesInSql: the SQL parser is not loaded (await loadSqlParser() first)");
  const tables = new Tables();
  try {
    tables.visitSqlparser(parse(sql, "sqlite"), new Set());
    return { tables: tables.names(), parse: "sqlparser" };
  } catch {
    // sqlparser-rs's SQLite dialect lacks some of SQLite's own syntax (GLOB, INDEXED BY, ISNULL, IS NOT <expr>).
  }
  try {
    tables.visitSqlite(parseSqlite(sql), new Set());
    return { tables: tables.names(), parse: "sqlite-grammar" };
  } catch {
    return { tables: [], parse: "unparsed" };
  }
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null;
}

class Tables {
  private readonly found: string[] = [];

  names(): string[] {
    const seen = new Set<string>();
    return this.found.filter((name) => !seen.has(name.toLowerCase()) && Boolean(seen.add(name.toLowerCase())));
  }

  /** sqlparser-rs's AST (serde JSON): a Query's `with` scopes its CTE names; `Table` items and INSERT targets are tables. */
  visitSqlparser(node: unknown, scope: ReadonlySet<string>): void {
    if (Array.isArray(node)) return node.forEach((item) => this.visitSqlparser(item, scope));
    if (!isNode(node)) return;
    const withClause = node["with"];
    if (isNode(withClause) && "body" in node) {
      const inner = this.ctes(withClause["recursive"] === true, (withClause["cte_tables"] as Node[]) ?? [], scope, (cte) => identValue((cte["alias"] as Node)["name"]) ?? "", (cte, inner) => this.visitSqlparser(cte["query"], inner));
      for (const [key, value] of Object.entries(node)) if (key !== "with") this.visitSqlparser(value, inner);
      return;
    }
    const table = node["Table"];
    if (isNode(table) && Array.isArray(table["name"])) this.add(objectName(table["name"]), scope);
    const insert = node["Insert"];
    if (isNode(insert) && isNode(insert["table"])) {
      const target = insert["table"];
      const name = target["TableName"] ?? target;
      if (Array.isArray(name)) this.add(objectName(name), scope);
    }
    for (const value of Object.values(node)) this.visitSqlparser(value, scope);
  }

  /** @appland/sql-parser's AST: a statement's `with` scopes its CTE names; identifiers of tables are tables. */
  visitSqlite(node: unknown, scope: ReadonlySet<string>): void {
    if (Array.isArray(node)) return node.forEach((item) => this.visitSqlite(item, scope));
    if (!isNode(node)) return;
    if (node["type"] === "statement" && Array.isArray(node["with"])) {
      const recursive = (node["with"] as Node[]).some((cte) => cte["variant"] === "recursive");
      const inner = this.ctes(recursive, node["with"] as Node[], scope, (cte) => String((cte["target"] as Node)["name"]), (cte, inner) => this.visitSqlite(cte["expression"], inner));
      for (const [key, value] of Object.entries(node)) if (key !== "with") this.visitSqlite(value, inner);
      return;
    }
    if (node["type"] === "identifier" && (node["variant"] === "table" || (node["format"] === "table" && node["variant"] !== "column"))) {
      const parts = String(node["name"]).split(".");
      this.add(parts[parts.length - 1]!, scope);
    }
    for (const value of Object.values(node)) this.visitSqlite(value, scope);
  }

  /**
   * The scope inside a WITH clause: each CTE's body sees the CTEs before it (and itself when
   * RECURSIVE); the statement sees them all.
   */
  private ctes(recursive: boolean, ctes: Node[], scope: ReadonlySet<string>, name: (cte: Node) => string, visit: (cte: Node, scope: ReadonlySet<string>) => void): Set<string> {
    const inner = new Set(scope);
    if (recursive) for (const cte of ctes) inner.add(name(cte).toLowerCase());
    for (const cte of ctes) {
      visit(cte, new Set(inner));
      inner.add(name(cte).toLowerCase());
    }
    return inner;
  }

  private add(name: string | undefined, scope: ReadonlySet<string>): void {
    if (name !== undefined && name !== "" && !scope.has(name.toLowerCase())) this.found.push(name);
  }
}

/** The last part of an ObjectName (`main.books` → `books`). */
function objectName(parts: unknown[]): string | undefined {
  return identValue(parts[parts.length - 1]);
}

function identValue(part: unknown): string | undefined {
  if (!isNode(part)) return undefined;
  const ident = isNode(part["Identifier"]) ? part["Identifier"] : part;
  return typeof ident["value"] === "string" ? ident["value"] : undefined;
}
