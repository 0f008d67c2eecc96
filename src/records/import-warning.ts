import { z } from "zod";

/**
 * Every kind of lossy or heuristic decision an importer reports on a trajectory: the one list
 * (docs/data-model.md#importer-warnings says what each means). A new warning gets a code here first; the
 * schema refuses any other, so free text cannot slip into a record.
 */
export const WarningCode = z.enum([
  "abandoned-branches",
  "other-session-lines",
  "sidechain-subagents",
  "duplicate-lines",
  "unlinked-subagent",
  "ignored-events",
  "ignored-files",
  "unknown-type",
  "agent-error",
  "demonstrations-dropped",
  "invalid-embedded-json",
  "divergent-copy",
  "opaque-reasoning",
  "unclosed-tag",
  "newer-version",
  "version-mismatch",
  "no-final-answer",
  "lone-surrogates",
  "untyped",
]);
export type WarningCode = z.infer<typeof WarningCode>;

/** One warning: its code, the sentence `acc view` shows, and the details a program reads instead of the sentence. */
export const ImportWarning = z
  .object({
    code: WarningCode,
    message: z.string().min(1),
    /** How many source items (lines, events, messages, characters) the warning is about. */
    count: z.number().int().nonnegative().optional(),
    /** The source field or path the warning is about (`tools`, `replay_config`, `input[3]`, `turns[2]`). */
    field: z.string().optional(),
    /** 1-based line of the source file where what the warning is about starts. */
    line: z.number().int().positive().optional(),
    /** The name acc did not know or was told: an event kind, item or block type, tag, version, error code. */
    name: z.string().optional(),
  })
  .strict();
export type ImportWarning = z.infer<typeof ImportWarning>;

/**
 * Records written before warnings had codes hold them as text. Reading such a record (re-import, export)
 * keeps each text as an `untyped` warning instead of refusing the record; importers never write `untyped`.
 */
export function withTypedWarnings(row: unknown): unknown {
  if (typeof row !== "object" || row === null) return row;
  const warnings = (row as { warnings?: unknown }).warnings;
  if (!Array.isArray(warnings) || !warnings.some((w) => typeof w === "string")) return row;
  return { ...row, warnings: warnings.map((w) => (typeof w === "string" && w !== "" ? { code: "untyped", message: w } : w)) };
}
