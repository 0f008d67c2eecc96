import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";
import { AtifTrajectory, atifProblems } from "../records/atif.js";

let compiled: { fast: ValidateFunction; all: ValidateFunction } | undefined;

/**
 * Why a document is not valid ATIF, or nothing: the JSON Schema published as
 * docs/schemas/atif.schema.json (compiled with ajv), then the cross-field rules of Harbor's validators,
 * those of its v1.8 models applied whatever version the document declares (as Harbor reads it).
 */
export function atifErrors(doc: unknown): string[] {
  if (compiled === undefined) {
    const schema = z.toJSONSchema(AtifTrajectory, { unrepresentable: "throw", io: "output" });
    // The first check stops at the first error (fast on valid documents); the second lists them all.
    compiled = { fast: new Ajv2020({ strict: false }).compile(schema), all: new Ajv2020({ strict: false, allErrors: true }).compile(schema) };
  }
  if (!compiled.fast(doc)) {
    compiled.all(doc);
    return (compiled.all.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
  }
  return atifProblems(doc as AtifTrajectory, "", true);
}
