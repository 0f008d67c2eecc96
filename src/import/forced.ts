import type { ImportInput, Importer, JsonLine, Probe } from "../formats/types.js";
import type { Trajectory } from "../records/trajectory.js";
import { type AuditCounts, topDropped, unexplainedChars } from "./audit.js";
import { convertItems } from "./convert.js";

/** Share of the text a forced importer may lose unexplained before the file is judged not its format. */
const MAX_UNEXPLAINED_SHARE = 0.05;
/** Elements of a JSON array tried (JSONL files: the lines detection read). */
const SAMPLE_ROWS = 5;

/**
 * Why `--format` names an importer that does not fit the file, or undefined when it fits.
 * Only asked when detection would pick another importer (or none). It converts the file's first records
 * (the lines detection read, or the first elements of an array) and the file is not its format when the
 * trajectories hold no message at all, fewer tool calls than the records visibly have (objects with a
 * `name` and `arguments` or `input`, also inside JSON text), or drop more than 5% of the text with no rule
 * to explain it. Records the importer rejects are left to the import, which rejects them with their reason.
 */
export async function misfitReason(forced: Importer, probe: Probe, file: string, detected: Importer | undefined): Promise<string | undefined> {
  if (probe.container === "directory" || forced === detected) return undefined;
  const record = firstRecords(probe, forced.rowBased === true);
  if (record === undefined) return undefined;
  const trajectories: Trajectory[] = [];
  let audit: AuditCounts | undefined;
  for await (const event of convertItems(forced, record.input, file, { redact: "off", audit: true })) {
    if (event.type === "trajectory") trajectories.push(event.trajectory);
    else if (event.type === "audit") audit = event.counts;
  }
  if (trajectories.length === 0 || audit === undefined) return undefined;

  const problems: string[] = [];
  if (trajectories.every((t) => t.messages.length === 0)) problems.push("its first records give trajectories with no messages");
  const visible = callSignatures(record.value);
  const read = new Set(trajectories.flatMap((t) => t.messages.flatMap((m) => (m.role === "assistant" ? m.tool_calls.map((c) => signature(c.name, c.arguments ?? c.raw_arguments)) : []))));
  const missed = [...visible].filter((call) => !read.has(call)).length;
  if (missed > 0) problems.push(`${missed} of the ${visible.size} tool calls of its first records are not read as calls`);
  const lost = unexplainedChars(audit);
  if (lost > MAX_UNEXPLAINED_SHARE * audit.source_chars) {
    const paths = topDropped(audit, 3).filter((d) => d.reason === null).map((d) => d.path);
    problems.push(`${lost} of the ${audit.source_chars} characters of its first records would be dropped (${paths.join(", ")})`);
  }
  if (problems.length === 0) return undefined;
  const advice = detected !== undefined && detected !== forced
    ? `it looks like ${detected.format}: use --format ${detected.format}, or leave --format out`
    : "no importer recognises it; see `acc formats`";
  return `--format ${forced.format} does not fit this file: ${problems.join("; ")}; ${advice}`;
}

/** The input holding only the first records of a probed file, and those records. */
function firstRecords(probe: Exclude<Probe, { container: "directory" }>, rowBased: boolean): { input: ImportInput; value: unknown } | undefined {
  if (probe.container === "jsonl") {
    const parsed = probe.head.filter((entry): entry is Extract<JsonLine, { value: unknown }> => "value" in entry);
    if (parsed.length === 0) return undefined;
    async function* lines(): AsyncGenerator<JsonLine> {
      yield* parsed;
    }
    return { input: { container: "jsonl", file: probe.file, lines: lines() }, value: parsed.map((entry) => entry.value) };
  }
  const document = rowBased && Array.isArray(probe.document) ? probe.document.slice(0, SAMPLE_ROWS) : probe.document;
  return { input: { container: "json", file: probe.file, document }, value: document };
}

/** Distinct tool calls a record holds as objects: `{name, arguments}` or `{name, input}`, also in JSON text. */
function callSignatures(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node === "string") {
      const start = node.trimStart()[0];
      if (start !== "{" && start !== "[") return;
      try {
        visit(JSON.parse(node));
      } catch {
        // text, not JSON
      }
      return;
    }
    if (node === null || typeof node !== "object") return;
    if (!Array.isArray(node)) {
      const record = node as Record<string, unknown>;
      const args = "arguments" in record ? record.arguments : record.input;
      if (typeof record.name === "string" && args !== undefined && !("parameters" in record)) found.add(signature(record.name, args));
    }
    for (const child of Object.values(node)) visit(child);
  };
  visit(value);
  return found;
}

/** A call as name and arguments, the arguments parsed when they are JSON text, so either spelling compares equal. */
function signature(name: string, args: unknown): string {
  let value = args;
  if (typeof args === "string") {
    try {
      value = JSON.parse(args);
    } catch {
      value = args;
    }
  }
  return `${name}\u0000${canonical(value)}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
