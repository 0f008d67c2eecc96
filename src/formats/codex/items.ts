import type { TrajectoryEvent } from "../../records/trajectory.js";
import { kindOf, ShapeError } from "../common/rows.js";
import { appendTo, contentToText, isRecord, parseArguments, without } from "../common/text.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

type AssistantDraft = Extract<DraftMessage, { role: "assistant" }>;

/** Items the model never sees or that hold nothing readable (undo snapshots, the opaque remote-compaction item). */
const BOOKKEEPING_ITEMS = new Set(["ghost_snapshot", "compaction", "compaction_summary"]);
const OUTPUT_ITEMS = new Set(["function_call_output", "custom_tool_call_output", "local_shell_call_output"]);
const CALL_ITEMS = new Set(["function_call", "custom_tool_call", "local_shell_call", "web_search_call"]);

/**
 * Builds a Codex conversation from its response items, in order. Assistant-side items that follow each
 * other (reasoning, an assistant message, calls) form one assistant message; reasoning opens a new one
 * once the current message has text or calls, and so does an assistant message. Tool outputs and user
 * or developer messages close the current assistant message.
 */
export class RolloutConversation {
  readonly messages: DraftMessage[] = [];
  readonly events: TrajectoryEvent[] = [];
  /** Response item types that were dropped, counted. */
  readonly skipped: Record<string, number> = {};
  private current: AssistantDraft | undefined;
  private model: string | undefined;
  private systemPrompt: DraftMessage | undefined;
  private retainedByLastCompaction: Set<string> | undefined;

  /** The session's instructions, sent with every request (so never out of context). */
  addSystemPrompt(text: string): void {
    this.systemPrompt = { role: "system", content: text, extra: { source: "session_meta" } };
    this.messages.push(this.systemPrompt);
  }

  setModel(model: string | undefined): void {
    this.model = model;
  }

  /** Adds one response item; throws ShapeError when the item lacks what its type promises. */
  addItem(item: Record<string, unknown>, timestamp: string | undefined): void {
    const type = String(item.type);
    const at = timestamp !== undefined ? { timestamp } : {};
    if (type === "message") this.addMessage(item, at);
    else if (type === "reasoning") this.addReasoning(item, at);
    else if (CALL_ITEMS.has(type)) this.assistant(at).tool_calls.push(toolCall(item, type));
    else if (OUTPUT_ITEMS.has(type)) {
      this.current = undefined;
      this.messages.push(toolOutput(item, at));
    } else {
      const key = BOOKKEEPING_ITEMS.has(type) ? type : `unknown:${type}`;
      this.skipped[key] = (this.skipped[key] ?? 0) + 1;
    }
  }

  /** A `compacted` line: the context was replaced by `replacement_history` (or, in older versions, just a summary). */
  addCompaction(payload: Record<string, unknown>, timestamp: string | undefined): void {
    this.current = undefined;
    const summary = typeof payload.message === "string" && payload.message.trim() !== "" ? payload.message : null;
    this.events.push({
      kind: "compaction",
      message_index: this.messages.length,
      marker: "compacted",
      summary,
      ...(timestamp !== undefined ? { timestamp } : {}),
    });
    const history = Array.isArray(payload.replacement_history) ? payload.replacement_history : [];
    this.retainedByLastCompaction = new Set(history.filter(isRecord).filter((item) => item.type === "message").map(itemKey));
  }

  /** Marks every message the last compaction replaced (all before it that its replacement history does not repeat). */
  finish(): void {
    const last = this.events.at(-1);
    if (last === undefined) return;
    for (let i = 0; i < last.message_index; i++) {
      const message = this.messages[i]!;
      if (message === this.systemPrompt) continue;
      if (!this.retainedByLastCompaction?.has(messageKey(message))) message.in_context = false;
    }
  }

  private addMessage(item: Record<string, unknown>, at: { timestamp?: string }): void {
    const text = contentToText(item.content);
    const extra = extraOf(item, ["type", "role", "content"]);
    switch (item.role) {
      case "assistant": {
        const draft = this.current !== undefined && this.current.content === null && this.current.tool_calls.length === 0 ? this.current : this.assistant(at, true);
        draft.content = text;
        if (extra !== undefined) draft.extra = { ...draft.extra, ...extra };
        return;
      }
      case "user":
        this.current = undefined;
        this.messages.push({ role: "user", content: text, ...at, ...(extra ? { extra } : {}) });
        return;
      case "developer":
      case "system":
        this.current = undefined;
        this.messages.push({ role: "system", content: text, ...(item.role === "developer" ? { source_role: "developer" } : {}), ...at, ...(extra ? { extra } : {}) });
        return;
      default:
        throw new ShapeError(`role: expected user, assistant, developer or system, got ${JSON.stringify(item.role)}`);
    }
  }

  private addReasoning(item: Record<string, unknown>, at: { timestamp?: string }): void {
    const busy = this.current !== undefined && (this.current.content !== null || this.current.tool_calls.length > 0);
    const draft = busy ? this.assistant(at, true) : this.assistant(at);
    const summary = texts(item.summary);
    const full = texts(item.content);
    const text = full.length > 0 ? full.join("\n\n") : summary.length > 0 ? summary.join("\n\n") : null;
    if (text !== null) draft.reasoning = draft.reasoning === null ? text : `${draft.reasoning}\n\n${text}`;
    const extra = { ...draft.extra };
    // Opaque reasoning is no training text, but a provider needs it back to continue the conversation.
    if (typeof item.encrypted_content === "string") appendTo(extra, "encrypted_reasoning", item.encrypted_content);
    if (full.length > 0 && summary.length > 0) extra.reasoning_summary = [...((extra.reasoning_summary as string[]) ?? []), ...summary];
    if (Object.keys(extra).length > 0) draft.extra = extra;
  }

  /** The open assistant message, or a new one (always new when `fresh`). */
  private assistant(at: { timestamp?: string }, fresh = false): AssistantDraft {
    if (this.current !== undefined && !fresh) return this.current;
    const draft: AssistantDraft = { role: "assistant", content: null, reasoning: null, tool_calls: [], ...(this.model !== undefined ? { model: this.model } : {}), ...at };
    this.current = draft;
    this.messages.push(draft);
    return draft;
  }
}

function toolCall(item: Record<string, unknown>, type: string): DraftToolCall {
  const id = typeof item.call_id === "string" ? item.call_id : typeof item.id === "string" ? item.id : null;
  switch (type) {
    case "function_call": {
      const name = requireString(item.name, "name");
      if (typeof item.arguments === "string") return { id, name, type: "function", ...parseArguments(item.arguments) };
      return { id, name, type: "function", raw_arguments: null, arguments: item.arguments ?? null };
    }
    case "custom_tool_call": {
      // Free-form input (apply_patch's "*** Begin Patch…"): kept as text, parsed only when it is JSON.
      const input = requireString(item.input, "input");
      return { id, name: requireString(item.name, "name"), type: "custom", raw_arguments: input, arguments: jsonOrNull(input) };
    }
    case "local_shell_call":
      return { id, name: "local_shell", type: "shell", raw_arguments: null, arguments: item.action ?? null };
    default:
      return { id, name: "web_search", type: "server", raw_arguments: null, arguments: item.action ?? null };
  }
}

function toolOutput(item: Record<string, unknown>, at: { timestamp?: string }): DraftMessage {
  const output = item.output;
  // Some versions store `{content, success}` instead of the bare output string.
  const payload = isRecord(output) && typeof output.content === "string" ? output : undefined;
  const extra = extraOf(item, ["type", "call_id", "output"]);
  return {
    role: "tool",
    call_id: typeof item.call_id === "string" ? item.call_id : null,
    name: null,
    content: payload !== undefined ? String(payload.content) : contentToText(output),
    is_error: payload?.success === false,
    ...at,
    ...(extra !== undefined ? { extra } : {}),
  };
}

function texts(parts: unknown): string[] {
  if (!Array.isArray(parts)) return [];
  return parts.flatMap((part) => (isRecord(part) && typeof part.text === "string" ? [part.text] : []));
}

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== "string") throw new ShapeError(`${field}: expected a string, got ${value === undefined ? "nothing" : kindOf(value)}`);
  return value;
}

/** Unmapped item fields, null ones dropped (they carry nothing). */
function extraOf(item: Record<string, unknown>, mapped: string[]): Record<string, unknown> | undefined {
  const rest = without(item, mapped);
  for (const [key, value] of Object.entries(rest)) if (value === null) delete rest[key];
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function itemKey(item: Record<string, unknown>): string {
  const role = item.role === "developer" || item.role === "system" ? "system" : String(item.role);
  return `${role}\u0000${contentToText(item.content)}`;
}

function messageKey(message: DraftMessage): string {
  return `${message.role}\u0000${message.content ?? ""}`;
}
