import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { z } from "zod";
import { AtifTrajectory, atifProblems } from "../records/atif.js";

let compiled: ValidateFunction | undefined;

/**
 * Why a document is not valid ATIF, or nothing: the JSON Schema published as
 * docs/schemas/atif.schema.json (compiled with ajv), then the cross-field rules of Harbor's validators.
 */
export function atifErrors(doc: unknown): string[] {
  compiled ??= new Ajv2020({ strict: false, allErrors: true }).compile(z.toJSONSchema(AtifTrajectory, { unrepresentable: "throw", io: "output" }));
  if (!compiled(doc)) return (compiled.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
  return atifProblems(doc as AtifTrajectory);
}
