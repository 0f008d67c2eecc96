import { z } from "zod";
import { recordSchemas } from "./schemas.js";

/** JSON Schema text (draft 2020-12) of every published record, keyed by record name. */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(recordSchemas)) {
    const json = z.toJSONSchema(schema, { unrepresentable: "any", io: "output" });
    out[name] = `${JSON.stringify({ $id: `https://acc.dev/schemas/${name}.schema.json`, title: name, ...json }, null, 2)}\n`;
  }
  return out;
}
