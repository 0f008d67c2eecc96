import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import { z } from "zod";
import { Sample } from "./sample.js";
import { Trajectory } from "./trajectory.js";
import { type Validation, validate } from "./validate.js";

/**
 * Schemas whose JSON Schema says everything zod checks (no refinements, transforms or defaults), so a
 * compiled check can stand in for zod on valid records; by the name their check has. test/records/fast-validate.test.ts
 * holds the two to the same verdicts.
 */
const COMPILABLE = new Map<z.ZodType, string>([
  [Sample, "Sample"],
  [Trajectory, "Trajectory"],
]);

/** The file `npm run build` writes beside this module in dist/ (scripts/build-validators.mjs): every check, compiled already. */
export const PREBUILT_CHECKS = "validators.cjs";

const require = createRequire(import.meta.url);
let checks: Map<z.ZodType, ValidateFunction> | undefined;

/**
 * validate() for the hot paths (import, teach, verify): a compiled JSON Schema check (ajv) first, so
 * a valid record comes back as it is, without zod's copy; only a record the check refuses goes through
 * zod, which gives the readable problems (or, for an object with keys zod strips, the stripped copy).
 */
export function validateFast<T>(schema: z.ZodType<T>, value: unknown): Validation<T> {
  const check = (checks ??= loadChecks()).get(schema);
  // invariant: only acc code picks the schema, and COMPILABLE lists every one it passes
  if (check === undefined) throw new Error("validateFast: this schema has no compiled check (see COMPILABLE)");
  if (check(value)) return { ok: true, value: value as T };
  return validate(schema, value);
}

/**
 * The checks compiled at build time; running from the TypeScript sources (tests, tsx), where there is no
 * build, they are compiled here (ajv's compiler costs every process ~0.2 s of CPU to load and run).
 */
function loadChecks(): Map<z.ZodType, ValidateFunction> {
  let prebuilt: Record<string, ValidateFunction> | undefined;
  try {
    prebuilt = require(`./${PREBUILT_CHECKS}`) as Record<string, ValidateFunction>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
  }
  const compile = prebuilt === undefined ? compiler() : undefined;
  const schemas = compile ? checkedSchemas() : {};
  return new Map([...COMPILABLE].map(([schema, name]) => [schema, prebuilt?.[name] ?? compile!(schemas[name]!)]));
}

function compiler(): (schema: object) => ValidateFunction {
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const ajv = new Ajv2020(AJV_OPTIONS);
  return (schema) => ajv.compile(schema);
}

/** How every check is compiled, here or at build time. */
export const AJV_OPTIONS = { strict: false, allErrors: false, validateSchema: false, discriminator: true, inlineRefs: false } as const;

/** The JSON Schema each check is compiled from, by the check's name. */
export function checkedSchemas(): Record<string, object> {
  return Object.fromEntries([...COMPILABLE].map(([schema, name]) => [name, definitions(discriminated(finiteNumbers(z.toJSONSchema(schema, { unrepresentable: "throw", io: "output" }))))]));
}

/**
 * Every object schema and every `oneOf` below the root moved into `$defs` (named by the path it came from),
 * so ajv (with `inlineRefs: false`) compiles each into a function of its own. Inlined, a record's whole check
 * was one function of ~75 KB, which V8's optimising compiler took hundreds of milliseconds to compile, again
 * each time a new object shape made it deoptimise.
 */
function definitions<T extends object>(root: T): T {
  const defs: Record<string, unknown> = {};
  const lift = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => lift(item, `${path}.${i}`));
    if (node === null || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = lift(value, path === "" ? key : `${path}.${key}`);
    if (path === "" || !("properties" in out || "oneOf" in out)) return out;
    defs[path] = out;
    return { $ref: `#/$defs/${path}` };
  };
  return { ...(lift(root, "") as T), $defs: defs };
}

/**
 * JSON Schema's "number" admits NaN and ±Infinity in JavaScript (records built in code can hold them;
 * zod refuses them). ajv's range keywords refuse NaN, so every number gets the finite range.
 */
function finiteNumbers<T>(node: T): T {
  if (Array.isArray(node)) return node.map(finiteNumbers) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = finiteNumbers(value);
  const types = [out["type"]].flat();
  if (types.includes("number") || types.includes("integer")) {
    out["minimum"] ??= -Number.MAX_VALUE;
    out["maximum"] ??= Number.MAX_VALUE;
  }
  return out as T;
}

/**
 * A `oneOf` whose branches are objects that each require one property with a constant of their own (a message's `role`)
 * gets ajv's `discriminator`: the check tries only the branch the constant names. Tried one after
 * another, every branch that does not match built an error object and its path for each message.
 */
function discriminated<T>(node: T): T {
  if (Array.isArray(node)) return node.map(discriminated) as T;
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = discriminated(value);
  const branches = out["oneOf"];
  if (Array.isArray(branches) && branches.length > 1) {
    const tags = (branches as Record<string, unknown>[]).map((branch) => Object.keys((branch["properties"] ?? {}) as object).filter((name) => constantOf(branch, name) !== undefined));
    const name = tags[0]!.find((candidate) => tags.every((names) => names.includes(candidate)));
    const values = name === undefined ? [] : (branches as Record<string, unknown>[]).map((branch) => constantOf(branch, name));
    if (name !== undefined && new Set(values).size === values.length) {
      out["discriminator"] = { propertyName: name };
      // the discriminator reads the property of objects only: anything else must still fail, as every branch fails it
      out["type"] = "object";
    }
  }
  return out as T;
}

/** The string constant a branch requires of property `name`, if it requires one. */
function constantOf(branch: Record<string, unknown>, name: string): string | undefined {
  const required = branch["required"];
  const property = (branch["properties"] as Record<string, Record<string, unknown>> | undefined)?.[name];
  const object = branch["type"] === "object" && Array.isArray(required) && required.includes(name);
  return object && typeof property?.["const"] === "string" ? property["const"] : undefined;
}
