import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { RolloutTask } from "../records/rollout.js";
import { DEFAULT_SQL_MEMORY_BYTES, SqliteProcesses, type TableDescription } from "../run/sqlite-process.js";
import { DEFAULT_QA_OPTIONS, SqlVerifier, type Verdict, verifyQa } from "../verify/index.js";
import { capText, type EnvSession, EnvSpecError, type Environment, type FinalAnswer, type RewardOutcome, stringArgument, type ToolResult, type ToolSpec } from "./types.js";

export interface SqlEnvOptions {
  /** The SQLite file tasks query unless they name their own (`db`). */
  db: string;
  /** A statement still running after this is stopped (its process killed). */
  timeoutMs: number;
  /** Rows of a result shown to the agent. */
  maxRows: number;
  /** Characters of one tool result shown to the agent. */
  maxChars: number;
  /** SQL processes at once (tools and rewards each have their own). */
  processes: number;
  /** Memory each SQL process may use (RLIMIT_DATA). */
  memoryBytes: number;
}

export const DEFAULT_SQL_OPTIONS: Omit<SqlEnvOptions, "db"> = { timeoutMs: 5_000, maxRows: 50, maxChars: 4_000, processes: 2, memoryBytes: DEFAULT_SQL_MEMORY_BYTES };

const MAX_CELL_CHARS = 200;
const SAMPLE_ROWS = 3;

const TOOLS: ToolSpec[] = [
  { name: "list_tables", description: "List the tables and views of the database.", parameters: { type: "object", properties: {}, required: [] } },
  {
    name: "describe_table",
    description: "Columns, keys, row count and a few example rows of one table.",
    parameters: { type: "object", properties: { table: { type: "string", description: "table name" } }, required: ["table"] },
  },
  {
    name: "run_sql",
    description: "Run one read-only SQL query (SQLite) and see its first rows.",
    parameters: { type: "object", properties: { sql: { type: "string", description: "one SELECT or WITH query" } }, required: ["sql"] },
  },
];

const SYSTEM_PROMPT = [
  "You answer questions about a SQLite database. Look at the tables and run read-only queries with the tools.",
  "When you know the answer, reply without calling a tool: give the query that computes it in a ```sql block, then the answer in one line.",
].join("\n");

/** The SQL environment: a read-only SQLite database behind list_tables, describe_table and run_sql. */
export class SqlEnvironment implements Environment {
  readonly name = "sql" as const;
  readonly domain = "sql" as const;
  readonly tools = TOOLS;
  readonly systemPrompt = SYSTEM_PROMPT;
  private readonly processes: SqliteProcesses;
  private readonly rewardProcesses: SqliteProcesses;
  private readonly verifier: SqlVerifier;

  constructor(private readonly options: SqlEnvOptions) {
    if (!existsSync(options.db)) throw new EnvSpecError(`sql environment: database ${options.db} does not exist`);
    this.processes = new SqliteProcesses(options.processes, options.memoryBytes);
    this.rewardProcesses = new SqliteProcesses(options.processes, options.memoryBytes);
    this.verifier = new SqlVerifier(this.rewardProcesses, options.timeoutMs, DEFAULT_QA_OPTIONS);
  }

  checkTask(task: RolloutTask): string | undefined {
    if (task.gold_sql === undefined && task.answer === undefined) return "an sql task needs gold_sql or answer";
    if (task.db !== undefined && !existsSync(task.db)) return `database ${task.db} does not exist`;
    return undefined;
  }

  trajectoryTask(task: RolloutTask) {
    return { ground_truth: task.gold_sql ?? task.answer ?? null, database: { engine: "sqlite", path: this.dbOf(task) } };
  }

  async open(task: RolloutTask): Promise<EnvSession> {
    const db = this.dbOf(task);
    return {
      call: (name, args) => this.call(db, name, args),
      reward: (final) => this.reward(db, task, final),
      close: async () => {},
    };
  }

  async fingerprint(): Promise<unknown> {
    const info = await stat(this.options.db);
    return { db: resolve(this.options.db), size: info.size, mtime: info.mtimeMs, options: this.options };
  }

  async close(): Promise<void> {
    await Promise.all([this.processes.close(), this.rewardProcesses.close()]);
  }

  private dbOf(task: RolloutTask): string {
    return task.db ?? this.options.db;
  }

  private async call(db: string, name: string, args: Record<string, unknown>): Promise<ToolResult> {
    const { timeoutMs, maxRows, maxChars } = this.options;
    switch (name) {
      case "list_tables": {
        const reply = await this.processes.run({ kind: "tables", db }, timeoutMs);
        if (!reply.ok) return { content: reply.message, isError: true };
        return { content: capText("tables" in reply ? reply.tables.join("\n") : "", maxChars), isError: false };
      }
      case "describe_table": {
        const table = stringArgument(args, "table", name);
        if (typeof table !== "string") return table;
        const reply = await this.processes.run({ kind: "describe", db, table, sampleRows: SAMPLE_ROWS, maxCellChars: MAX_CELL_CHARS }, timeoutMs);
        if (!reply.ok) return { content: reply.message, isError: true };
        const description = "description" in reply ? reply.description : null;
        if (!description) return { content: `no table or view named ${JSON.stringify(table)} (list_tables shows them)`, isError: true };
        return { content: capText(describeText(table, description), maxChars), isError: false };
      }
      case "run_sql": {
        const sql = stringArgument(args, "sql", name);
        if (typeof sql !== "string") return sql;
        const reply = await this.processes.run({ kind: "query", db, sql, maxRows, maxCellChars: MAX_CELL_CHARS }, timeoutMs);
        if (!reply.ok) return { content: `${reply.code}: ${reply.message}`, isError: true };
        if (!("columns" in reply)) return { content: "no result", isError: true };
        return { content: capText(resultText(reply.columns, reply.rows, reply.more), maxChars), isError: false };
      }
      default:
        return { content: `unknown tool ${JSON.stringify(name)}; the tools are ${TOOLS.map((t) => t.name).join(", ")}`, isError: true };
    }
  }

  private async reward(db: string, task: RolloutTask, final: FinalAnswer): Promise<RewardOutcome> {
    const sql = queryOf(final.answer);
    let verdict: Verdict;
    if (task.gold_sql !== undefined) {
      verdict = await this.verifier.verify({ db, goldSql: task.gold_sql, ...(sql !== undefined ? { candidateSql: sql } : { candidateValue: final.answer }) });
    } else {
      verdict = verifyQa(final.answer, task.answer!, DEFAULT_QA_OPTIONS);
    }
    const outcome: RewardOutcome = { reward: verdict.pass ? 1 : 0, success: verdict.pass, reason: verdict.reason, detail: verdict.detail };
    if (sql !== undefined) outcome.submittedSql = sql;
    return outcome;
  }
}

const FENCE = /```([\w-]*)[^\n]*\n([\s\S]*?)```/g;

/** The query a final answer gives: its last ```sql block, or the whole answer when it is a SELECT or WITH statement. */
export function queryOf(answer: string): string | undefined {
  const block = [...answer.matchAll(FENCE)].filter((b) => b[1]!.toLowerCase() === "sql").at(-1);
  if (block) return block[2]!.trim();
  return /^\s*(select|with)\b/i.test(answer) ? answer.trim() : undefined;
}

function showCell(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  return String(value).replace(/\n/g, "\\n");
}

function resultText(columns: string[], rows: unknown[][], more: boolean): string {
  const lines = [columns.join(" | "), ...rows.map((row) => row.map(showCell).join(" | "))];
  lines.push(more ? `(first ${rows.length} rows shown; the result has more)` : `(${rows.length} row${rows.length === 1 ? "" : "s"})`);
  return lines.join("\n");
}

function describeText(table: string, d: TableDescription): string {
  const keyOf = (column: string) => d.foreignKeys.find((k) => k.from === column);
  const columns = d.columns.map((c) => {
    const key = keyOf(c.name);
    const notes = [c.pk ? "primary key" : "", c.notnull ? "not null" : "", key ? `references ${key.table}(${key.to})` : ""].filter(Boolean);
    return `  ${c.name} ${c.type || "(no type)"}${notes.length ? ` ${notes.join(", ")}` : ""}`;
  });
  const sample = d.sample.length ? ["example rows:", resultText(d.columns.map((c) => c.name), d.sample, false).split("\n").slice(0, -1).map((l) => `  ${l}`).join("\n")] : [];
  return [`table ${table}: ${d.rows} rows`, "columns:", ...columns, ...sample].join("\n");
}
