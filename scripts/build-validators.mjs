// Run by `npm run build` after tsc: compiles the record checks of src/records/fast-validate.ts into
// dist/records/validators.cjs (ajv's standalone code), so no acc process loads and runs ajv's compiler
// at start-up. Also called by test/helpers/built-cli.ts for the packages tests build with esbuild.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";

/** Writes the prebuilt checks into `dist` (a built dist/ folder: its records/fast-validate.js gives the schemas). */
export async function writeValidators(dist) {
  const validate = await import(pathToFileURL(join(dist, "records/fast-validate.js")).href);
  const ajv = new Ajv2020({ ...validate.AJV_OPTIONS, code: { source: true, esm: false } });
  const names = {};
  for (const [name, schema] of Object.entries(validate.checkedSchemas())) {
    ajv.addSchema(schema, name);
    names[name] = name;
  }
  writeFileSync(join(dist, "records", validate.PREBUILT_CHECKS), standaloneCode(ajv, names));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await writeValidators(join(import.meta.dirname, "../dist"));
