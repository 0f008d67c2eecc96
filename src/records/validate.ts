import type { z } from "zod";

/** One readable problem: where in the record, what was expected, what was found. */
export interface SchemaProblem {
  path: string;
  expected: string;
  received: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: SchemaProblem[] };

export function validate<T>(schema: z.ZodType<T>, value: unknown): Validation<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.map((issue) => toProblem(issue, value)) };
}

export function formatProblems(problems: SchemaProblem[]): string {
  return problems.map((p) => `at ${p.path}: expected ${p.expected}, received ${p.received}`).join("; ");
}

function toProblem(issue: z.core.$ZodIssue, root: unknown): SchemaProblem {
  const path = pathToString(issue.path);
  const received = describeValue(valueAt(root, issue.path));
  return { path, expected: expectedOf(issue), received };
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}`;
    case "unrecognized_keys":
      return `no unknown keys (found ${issue.keys.join(", ")})`;
    case "too_small":
      return `${issue.origin} of at least ${String(issue.minimum)}`;
    case "too_big":
      return `${issue.origin} of at most ${String(issue.maximum)}`;
    case "invalid_union":
      return issue.message.startsWith("Invalid") ? "one of the allowed shapes" : issue.message;
    default:
      return issue.message;
  }
}

function pathToString(path: PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return value.length > 40 ? `string "${value.slice(0, 40)}…"` : `string "${value}"`;
  return `${typeof value} ${String(value)}`;
}
