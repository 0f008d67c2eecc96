import type { Domain, Message, Task } from "../records/trajectory.js";

const SQL_TOKENS = new Set(["sql", "sqlite", "postgres", "mysql", "bigquery", "snowflake", "database", "db", "table", "tables", "schema"]);
const WEB_TOKENS = new Set(["web", "google", "bing", "serper", "browse", "browser", "wiki", "wikipedia", "url", "visit", "fetch", "crawl", "scrape", "webpage", "page", "click"]);
const SWE_TOKENS = new Set([
  "bash", "shell", "exec", "execute", "command", "terminal", "cmd", "str", "replace", "edit", "editor", "multiedit",
  "view", "patch", "apply", "write", "read", "create", "file", "files", "run", "submit", "python", "ipython",
  "notebook", "glob", "grep", "ls", "todowrite", "code", "local", "dir", "directory", "symbol",
]);
const SQL_TEXT = /\bselect\b[\s\S]{1,2000}?\bfrom\b|\bcreate\s+table\b|\bsqlite3\b|\bpsql\b|\bsnowsql\b|\bbq\s+query\b/i;
const SWE_TEXT = /diff --git|\bgit (?:diff|apply|status|log|checkout)\b|\bpytest\b|Traceback \(most recent call last\)|\bsed -i\b|\bnpm (?:test|run)\b|\bpython3? -m\b/;

/** `run_sql` → [run, sql]; `searchWeb` → [search, web]. */
function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

const CODE_SEARCH_TOKENS = new Set(["file", "files", "dir", "directory", "code", "repo", "symbol", "grep"]);
/** Search results that are documents: URLs, or retrieval-style `Doc 1 (Title: …)` entries. */
const DOCUMENT_RESULT = /https?:\/\/|\bDoc(?:ument)?\s*\d+\s*\(|\bTitle:/;

/**
 * The agent's domain. A task that names a database is sql and one that names a repository is swe;
 * otherwise each tool call votes: sql when its name or its SQL says so, search when it reaches the
 * web (a web-ish tool, or a `search` tool whose results are documents), swe when it works on files
 * and shells. The largest vote wins; generic when no call votes.
 */
export function inferDomain(messages: readonly Message[], task?: Partial<Task>): Domain {
  if (task?.database) return "sql";
  if (task?.repo) return "swe";
  const votes = { sql: 0, search: 0, swe: 0 };
  const results = new Map<string, string>();
  for (const m of messages) if (m.role === "tool" && m.call_id !== null) results.set(m.call_id, m.content);
  for (const message of messages) {
    if (message.role !== "assistant") continue;
    for (const call of message.tool_calls) {
      const tokens = nameTokens(call.name);
      const args = call.raw_arguments ?? safeStringify(call.arguments);
      if (tokens.some((t) => SQL_TOKENS.has(t)) || SQL_TEXT.test(args)) votes.sql++;
      else if (
        tokens.some((t) => WEB_TOKENS.has(t)) ||
        (tokens.includes("search") && !tokens.some((t) => CODE_SEARCH_TOKENS.has(t)) && DOCUMENT_RESULT.test(results.get(call.id) ?? ""))
      ) {
        votes.search++;
      } else if (tokens.some((t) => SWE_TOKENS.has(t)) || SWE_TEXT.test(args)) votes.swe++;
    }
  }
  const best = (Object.entries(votes) as [Exclude<Domain, "generic">, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : "generic";
}

function safeStringify(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}
