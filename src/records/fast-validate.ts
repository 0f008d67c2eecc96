import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";
import { Sample } from "./sample.js";
import { Trajectory } from "./trajectory.js";
import { type Validation, validate } from "./validate.js";

/**
 * Schemas whose JSON Schema says everything zod checks (no refinements, transforms or defaults), so a
 * compiled check can stand in for zod on valid records. test/records/fast-validate.test.ts holds the
 * two to the same verdicts.
 */
const COMPILABLE = new Set<z.ZodType>([Sample, Trajectory]);

const ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: false });
const compiled = new Map<z.ZodType, ValidateFunction>();

/**
 * validate() for the hot paths (import, teach, verify): a compiled JSON Schema check (ajv) first, so
 * a valid record comes back as it is, without zod's copy; only a record the check refuses goes through
 * zod, which gives the readable problems (or, for an object with keys zod strips, the stripped copy).
 */
export function validateFast<T>(schema: z.ZodType<T>, value: unknown): Validation<T> {
  const check = compiledCheck(schema);
  if (check(value)) return { ok: true, value: value as T };
  return validate(schema, value);
}

function compiledCheck(schema: z.ZodType): ValidateFunction {
  let check = compiled.get(schema);
  if (check === undefined) {
    if (!COMPILABLE.has(schema)) throw new Error("validateFast: this schema has no compiled check (see COMPILABLE)");
    check = ajv.compile(finiteNumbers(z.toJSONSchema(schema, { unrepresentable: "throw", io: "output" })));
    compiled.set(schema, check);
  }
  return check;
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
