import type { ImportWarning } from "../../records/import-warning.js";
import { isRecord } from "../common/text.js";
import { type Dialect, dialectOf, type Segment, scanStream } from "./stream.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

/** A turn before its tags are read: from a messages list, a ChatML-rendered string, or a bare prompt/response. */
export interface RawTurn {
  role: "system" | "user" | "assistant" | "tool";
  text: string;
  source_role?: string;
  extra?: Record<string, unknown>;
}

/**
 * Turns → draft messages. Assistant turns are split at their tags: `<think>` → reasoning, call tags → text tool
 * calls, result tags (written into the stream by the environment) → tool messages, Search-R1's invalid-action
 * feedback → a user message. A user turn made only of result blocks is tool output (`source_role: "user"`).
 */
export function turnsToMessages(turns: RawTurn[]): { messages: DraftMessage[]; warnings: ImportWarning[]; dialect: Dialect | undefined } {
  const messages: DraftMessage[] = [];
  const warnings: ImportWarning[] = [];
  let dialect: Dialect | undefined;
  turns.forEach((turn, index) => {
    const carried: Carried = {
      ...(turn.source_role !== undefined ? { source_role: turn.source_role } : {}),
      ...(turn.extra !== undefined ? { extra: turn.extra } : {}),
    };
    if (turn.role === "system") {
      messages.push({ role: "system", content: turn.text, ...carried });
      return;
    }
    if (turn.role === "tool") {
      const results = resultsOnly(scanStream(turn.text));
      const content = results?.length === 1 ? unwrap(results[0]!.body) : turn.text;
      messages.push({ role: "tool", call_id: null, name: null, content, is_error: false, ...carried });
      return;
    }
    const segments = scanStream(turn.text);
    const results = turn.role === "user" ? resultsOnly(segments) : undefined;
    if (turn.role === "assistant" || results !== undefined) {
      for (const s of segments) {
        if ((s.kind === "call" || s.kind === "result") && !s.closed) {
          warnings.push({ code: "unclosed-tag", message: `turn ${index}: an unclosed ${s.tag} tag runs to the end of the turn`, field: `turns[${index}]`, name: s.tag });
        }
      }
    }
    if (turn.role === "user") {
      if (results === undefined) messages.push({ role: "user", content: turn.text, ...carried });
      else {
        dialect ??= dialectOf(turn.text);
        for (const r of results) {
          messages.push({ role: "tool", call_id: null, name: null, content: unwrap(r.body), is_error: false, ...carried, source_role: "user" });
        }
      }
      return;
    }
    if (segments.some((s) => s.kind === "call" || s.kind === "result")) dialect ??= dialectOf(turn.text);
    messages.push(...assistantMessages(segments, carried));
  });
  return { messages, warnings, dialect };
}

/** The result blocks of a turn that holds nothing else but whitespace; undefined otherwise. */
function resultsOnly(segments: Segment[]): Extract<Segment, { kind: "result" }>[] | undefined {
  const results = segments.filter((s): s is Extract<Segment, { kind: "result" }> => s.kind === "result");
  const onlyResults = segments.every((s) => s.kind === "result" || (s.kind === "text" && s.text.trim() === ""));
  return results.length > 0 && onlyResults ? results : undefined;
}

/** Environments wrap results as `<tag>\n…\n</tag>`; the one newline on each side belongs to the wrapper. */
function unwrap(body: string): string {
  return body.replace(/^\n/, "").replace(/\n$/, "");
}

type Carried = { source_role?: string; extra?: Record<string, unknown> };

function assistantMessages(segments: Segment[], carried: Carried): DraftMessage[] {
  const out: DraftMessage[] = [];
  let texts: string[] = [];
  let thinks: string[] = [];
  let calls: DraftToolCall[] = [];
  const flush = () => {
    const content = texts.join("").trim();
    const reasoning = thinks.map((t) => t.trim()).filter((t) => t !== "").join("\n\n");
    if (content !== "" || reasoning !== "" || calls.length > 0) {
      out.push({
        role: "assistant",
        content: content === "" && calls.length > 0 ? null : content,
        reasoning: reasoning === "" ? null : reasoning,
        tool_calls: calls,
        ...(out.length === 0 ? carried : {}),
      });
    }
    texts = [];
    thinks = [];
    calls = [];
  };
  for (const segment of segments) {
    switch (segment.kind) {
      case "text":
        texts.push(segment.text);
        break;
      case "think":
        thinks.push(segment.text);
        break;
      case "call":
        calls.push(toCall(segment));
        break;
      case "result":
        flush();
        out.push({ role: "tool", call_id: null, name: null, content: unwrap(segment.body), is_error: false });
        break;
      case "feedback":
        flush();
        out.push({ role: "user", content: segment.text, extra: { inserted_by: "environment" } });
        break;
    }
  }
  flush();
  return out;
}

function toCall(segment: Extract<Segment, { kind: "call" }>): DraftToolCall {
  const body = segment.body;
  switch (segment.tag) {
    case "search":
    case "search_query":
      return { id: null, name: "search", type: "text", raw_arguments: body, arguments: { query: body.trim() } };
    case "click_link":
      return { id: null, name: "click_link", type: "text", raw_arguments: body, arguments: { url: body.trim() } };
    case "tool_call":
      return jsonToolCall(body);
  }
}

const CODE = /<code>([\s\S]*?)<\/code>/;
const NAME = /"name"\s*:\s*"([^"]*)"/;

/**
 * `<tool_call>{"name": …, "arguments": …}</tool_call>`: the body is kept verbatim as `raw_arguments` and its
 * `arguments` value is the parsed arguments. Tongyi's Python tool puts its code in a `<code>` block after the
 * JSON; the code joins the arguments as `code`.
 */
function jsonToolCall(body: string): DraftToolCall {
  const code = CODE.exec(body);
  const json = code ? body.slice(0, code.index) : body;
  let parsed: unknown;
  let error: string | undefined;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    error = (e as Error).message;
  }
  const name = isRecord(parsed) && typeof parsed.name === "string" ? parsed.name : (NAME.exec(json)?.[1] ?? "");
  const args = isRecord(parsed) ? (parsed.arguments ?? null) : null;
  return {
    id: null,
    name,
    type: "text",
    raw_arguments: body,
    arguments: code ? { ...(isRecord(args) ? args : {}), code: code[1] } : args,
    ...(error !== undefined && !code ? { arguments_error: error } : {}),
  };
}
