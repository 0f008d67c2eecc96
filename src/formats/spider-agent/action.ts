import type { DraftToolCall } from "../types.js";

/** The keyword fields of Spider-Agent-lite's action classes, in the order their `__repr__` writes them. */
const FIELDS: Record<string, readonly string[]> = {
  Bash: ["code"],
  Terminate: ["output"],
  LOCAL_DB_SQL: ["file_path", "command", "output"],
  BIGQUERY_EXEC_SQL: ["sql_query", "is_save", "save_path"],
  SNOWFLAKE_EXEC_SQL: ["sql_query", "is_save", "save_path"],
  BQ_GET_TABLES: ["database_name", "dataset_name", "save_path"],
  BQ_GET_TABLE_INFO: ["database_name", "dataset_name", "table", "save_path"],
  BQ_SAMPLE_ROWS: ["database_name", "dataset_name", "table", "row_number", "save_path"],
};

const CALL = /^([A-Za-z_]\w*)\(([\s\S]*)\)$/;
const FILE_ACTION = /^(CreateFile|EditFile)\(filepath=(["'])([\s\S]*?)\2\)?:?\n(```|''')\n([\s\S]*?)\n?\4\)?$/;

/**
 * A logged action string (`str(action)`, e.g. `Bash(code="ls")`) as a text tool call. The string is kept verbatim
 * as `raw_arguments`; `arguments` holds the fields when the action is one of the known classes. `__repr__` does not
 * escape quotes inside values, so values are cut at the next `, <field>=` of the class signature.
 */
export function parseSpiderAction(action: string): DraftToolCall | null {
  const text = action.trim();
  const file = FILE_ACTION.exec(text);
  if (file) return call(file[1]!, action, { filepath: file[3], code: file[5] });
  const match = CALL.exec(text);
  if (!match) return null;
  const name = match[1]!;
  const fields = FIELDS[name];
  return call(name, action, fields ? keywordArguments(match[2]!, fields) : null);
}

function call(name: string, raw: string, args: Record<string, unknown> | null): DraftToolCall {
  return { id: null, name, type: "text", raw_arguments: raw, arguments: args };
}

function keywordArguments(inner: string, fields: readonly string[]): Record<string, unknown> | null {
  if (!inner.startsWith(`${fields[0]}=`)) return null;
  const starts: { field: string; at: number }[] = [{ field: fields[0]!, at: 0 }];
  let from = 0;
  for (const field of fields.slice(1)) {
    const at = inner.indexOf(`, ${field}=`, from);
    if (at === -1) continue;
    starts.push({ field, at: at + 2 });
    from = at + 2;
  }
  const args: Record<string, unknown> = {};
  starts.forEach(({ field, at }, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]!.at - 2 : inner.length;
    args[field] = literal(inner.slice(at + field.length + 1, end));
  });
  return args;
}

function literal(value: string): unknown {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) return v.slice(1, -1);
  if (v === "True" || v === "False") return v === "True";
  if (/^-?\d+$/.test(v)) return Number(v);
  return v;
}
