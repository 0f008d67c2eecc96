// Writes docs/schemas/<record>.schema.json from the runtime zod schemas (`npm run docs:schemas`).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderJsonSchemas } from "../src/records/json-schema.js";

const dir = join(import.meta.dirname, "../docs/schemas");
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(renderJsonSchemas())) writeFileSync(join(dir, `${name}.schema.json`), text);
