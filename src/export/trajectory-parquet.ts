import { ParquetRows, type SchemaElement, listColumn, textColumn as text } from "../io/parquet-file.js";

const ROWS_PER_GROUP = 256;

/**
 * Multi-turn rows as Parquet: `messages` is a LIST of STRUCT in OpenAI's chat shape (optional fields
 * null where a message has none; call arguments as the model's text); `tools` is JSON text, since the
 * tools' schemas differ from row to row and Parquet columns cannot.
 */
const SCHEMA: SchemaElement[] = [
  { name: "root", num_children: 4 },
  text("id"),
  ...listColumn("messages", { name: "element", repetition_type: "REQUIRED", num_children: 7 }),
  text("role"),
  text("content"),
  text("reasoning_content", "OPTIONAL"),
  ...listColumn("tool_calls", { name: "element", repetition_type: "REQUIRED", num_children: 3 }, "OPTIONAL"),
  text("id"),
  text("type"),
  { name: "function", repetition_type: "REQUIRED", num_children: 2 },
  text("name"),
  text("arguments"),
  text("tool_call_id", "OPTIONAL"),
  text("name", "OPTIONAL"),
  { name: "training", type: "BOOLEAN", repetition_type: "OPTIONAL" },
  text("tools"),
  text("domain"),
];

/** A row of the Parquet file: messages as `rowMessages` gives them with string arguments, `training` on assistant messages. */
export interface ParquetConversationRow {
  id: string;
  messages: Record<string, unknown>[];
  tools: Record<string, unknown>[];
  domain: string;
}

const MESSAGE_FIELDS = ["role", "content", "reasoning_content", "tool_calls", "tool_call_id", "name", "training"] as const;

const COLUMNS: { name: string; pick: (row: ParquetConversationRow) => unknown }[] = [
  { name: "id", pick: (r) => r.id },
  // Every struct field present (null where absent): the writer reads each by name.
  { name: "messages", pick: (r) => r.messages.map((m) => Object.fromEntries(MESSAGE_FIELDS.map((f) => [f, m[f] ?? null]))) },
  { name: "tools", pick: (r) => JSON.stringify(r.tools) },
  { name: "domain", pick: (r) => r.domain },
];

/** Writes conversation rows to a Parquet file in row groups (bounded memory), atomically on `commit`. */
export class ConversationParquetWriter extends ParquetRows<ParquetConversationRow> {
  constructor(path: string) {
    super(path, SCHEMA, COLUMNS, ROWS_PER_GROUP);
  }
}

/** A row of token ids (`--tokenized`): the ids, their labels (-100 where not trained), the mask and where the ids came from. */
export interface ParquetTokenRow {
  id: string;
  input_ids: number[];
  labels: number[];
  loss_mask: number[];
  token_source: string;
}

const ids = (name: string): SchemaElement[] => listColumn(name, { name: "element", type: "INT32", repetition_type: "REQUIRED" });

/** `--tokenized --to parquet`: id lists as 3-level LISTs of INT32, which pyarrow and `datasets` read as `list<int32>`. */
const TOKEN_SCHEMA: SchemaElement[] = [{ name: "root", num_children: 5 }, text("id"), ...ids("input_ids"), ...ids("labels"), ...ids("loss_mask"), text("token_source")];

const TOKEN_COLUMNS: { name: string; pick: (row: ParquetTokenRow) => unknown }[] = [
  { name: "id", pick: (r) => r.id },
  { name: "input_ids", pick: (r) => r.input_ids },
  { name: "labels", pick: (r) => r.labels },
  { name: "loss_mask", pick: (r) => r.loss_mask },
  { name: "token_source", pick: (r) => r.token_source },
];

/** Rows of a long conversation hold up to ~10⁵ ids each: smaller row groups keep the memory a batch holds bounded. */
const TOKEN_ROWS_PER_GROUP = 64;

/** Writes rows of token ids to a Parquet file in row groups, atomically on `commit`. */
export class TokenParquetWriter extends ParquetRows<ParquetTokenRow> {
  constructor(path: string) {
    super(path, TOKEN_SCHEMA, TOKEN_COLUMNS, TOKEN_ROWS_PER_GROUP);
  }
}
