import { isDeepStrictEqual } from "node:util";
import { isParsedFrom } from "../json.js";
import type { Message, ToolCall, Trajectory } from "../records/trajectory.js";
import { Redactor } from "./redactor.js";
import { ScanMemo } from "./scan-memo.js";
import { type FindingCounts, sortedCounts } from "./types.js";

/**
 * Redacts (or, in `report` mode, only counts) the secrets in every text of a trajectory: task, tool
 * definitions, messages (content, reasoning, tool-call arguments raw and parsed, results, extra),
 * final answer, outcome patch and SQL, events, warnings and extra. Ids, roles, timestamps and the
 * source locator are left alone. The result records the counts by type under `secrets`. `memo`: the
 * findings of long texts, shared with the other records of the same input (a text they repeat is scanned once).
 */
export function redactTrajectory(trajectory: Trajectory, mode: "on" | "report", memo = new ScanMemo()): Trajectory {
  const t = trajectory;
  const r = new Redactor(mode, memo);
  // The question and the final answer are often copies of a message's text; a copy is redacted but not counted again.
  const isMessageText = (text: string | null) => t.messages.some((m) => m.content === text || (m.role === "assistant" && m.reasoning === text));
  const counted = (text: string | null) => r.nullableText(text, !isMessageText(text));
  const { question, ...taskFields } = t.task;
  const redacted: Trajectory = patch(t, {
    task: patch(t.task, { ...r.value(taskFields), question: counted(question) }),
    tools: r.value(t.tools),
    messages: same(t.messages, t.messages.map((m) => redactMessage(m, r))),
    final: patch(t.final, { answer: counted(t.final.answer), reasoning: counted(t.final.reasoning) }),
    outcome: patch(t.outcome, {
      submitted_patch: r.nullableText(t.outcome.submitted_patch),
      submitted_sql: r.nullableText(t.outcome.submitted_sql),
      exit_status: optional(t.outcome.exit_status, (s) => r.text(s)),
    }),
    events: same(t.events, t.events.map((e) => patch(e, { summary: r.nullableText(e.summary), trigger: optional(e.trigger, (s) => r.text(s)) }))),
    warnings: r.value(t.warnings),
    extra: r.value(t.extra),
  });
  const counts = sortedCounts(r.counts);
  if (Object.keys(counts).length === 0) return redacted;
  return { ...redacted, secrets: { mode: mode === "on" ? "redacted" : "reported", counts: counts as Record<string, number> } };
}

/** The findings recorded on a trajectory (none when it has no `secrets`). */
export function trajectoryFindings(trajectory: Trajectory): FindingCounts {
  return (trajectory.secrets?.counts ?? {}) as FindingCounts;
}

function redactMessage(message: Message, r: Redactor): Message {
  const extra = r.value(message.extra);
  switch (message.role) {
    case "system":
    case "user":
    case "tool":
      return patch(message, { content: r.text(message.content), extra });
    case "assistant":
      return patch(message, {
        content: r.nullableText(message.content),
        reasoning: r.nullableText(message.reasoning),
        tool_calls: same(message.tool_calls, message.tool_calls.map((call) => redactCall(call, r))),
        extra,
      });
  }
}

/**
 * Redaction works on decoded strings. A raw argument string that is JSON is redacted literal by
 * literal, each as its decoded value and exactly as the parsed arguments are, so it still parses and
 * equals them; what was found is counted once. Raw text that is not JSON is scanned as text and
 * counted, its parsed form (if any) redacted without counting again.
 */
function redactCall(call: ToolCall, r: Redactor): ToolCall {
  const raw = call.raw_arguments;
  const arguments_error = optional(call.arguments_error, (s) => r.text(s, false));
  if (raw === null) return patch(call, { arguments: r.value(call.arguments), arguments_error });
  // arguments parsed from this very string (the importers' parseArguments) need no second parse to compare
  if (isParsedFrom(call.arguments, raw)) return sameAsRaw(call, raw, r, arguments_error);
  const parsed = parseJson(raw);
  if (parsed === NOT_JSON) return patch(call, { raw_arguments: r.text(raw), arguments: r.value(call.arguments, false), arguments_error });
  if (!isDeepStrictEqual(parsed, call.arguments)) return patch(call, { raw_arguments: r.json(raw, true), arguments: r.value(call.arguments, false), arguments_error });
  return sameAsRaw(call, raw, r, arguments_error);
}

/** A call whose raw arguments parse to its arguments: both redacted alike, counted once. */
function sameAsRaw(call: ToolCall, raw: string, r: Redactor, arguments_error: string | undefined): ToolCall {
  const redacted = r.value(call.arguments);
  return patch(call, { raw_arguments: redacted === call.arguments ? raw : r.json(raw, false), arguments: redacted, arguments_error });
}

const NOT_JSON = Symbol("not JSON");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

function optional<T>(value: T | undefined, f: (value: T) => T): T | undefined {
  return value === undefined ? undefined : f(value);
}

/** `items` itself when every item is unchanged, else the new array. */
function same<T>(items: T[], next: T[]): T[] {
  return next.every((item, i) => item === items[i]) ? items : next;
}

/** `object` itself when no field changed, else a copy with the changed fields. */
function patch<T extends object>(object: T, changes: Partial<T>): T {
  let out: T | undefined;
  for (const key of Object.keys(changes) as (keyof T)[]) {
    const value = changes[key];
    if (value !== object[key]) (out ??= { ...object })[key] = value as T[keyof T];
  }
  return out ?? object;
}
