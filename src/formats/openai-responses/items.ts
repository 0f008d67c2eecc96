import type { ImportWarning } from "../../records/import-warning.js";
import type { TrajectoryEvent } from "../../records/trajectory.js";
import { argumentsOf } from "../common/openai-messages.js";
import { expect, kindOf } from "../common/rows.js";
import { asString, contentToText, isRecord, without } from "../common/text.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

type AssistantDraft = Extract<DraftMessage, { role: "assistant" }>;

/** Client-side calls: item type → how its arguments and name are read. */
const CLIENT_CALLS: Record<string, { name?: string; type: DraftToolCall["type"]; args: (item: Record<string, unknown>) => Pick<DraftToolCall, "raw_arguments" | "arguments" | "arguments_error"> }> = {
  function_call: { type: "function", args: (item) => argumentsOf(item.arguments) },
  custom_tool_call: { type: "custom", args: (item) => freeText(item.input) },
  local_shell_call: { name: "local_shell", type: "shell", args: (item) => argumentsOf(item.action) },
  shell_call: { name: "shell", type: "shell", args: (item) => argumentsOf(item.action) },
  apply_patch_call: { name: "apply_patch", type: "function", args: (item) => argumentsOf(item.operation) },
  computer_call: { name: "computer", type: "function", args: (item) => argumentsOf(item.action) },
};

/** Results of client-side calls (`function_call_result` is the OpenAI Agents JS spelling). */
const CLIENT_OUTPUTS = new Set([
  "function_call_output",
  "function_call_result",
  "custom_tool_call_output",
  "local_shell_call_output",
  "shell_call_output",
  "apply_patch_call_output",
  "computer_call_output",
]);

/** Tools the API runs itself: the call and (when the item holds it) its result sit in the output list. */
const SERVER_CALLS: Record<string, string | undefined> = {
  web_search_call: "web_search",
  file_search_call: "file_search",
  code_interpreter_call: "code_interpreter",
  image_generation_call: "image_generation",
  mcp_call: undefined,
  hosted_tool_call: undefined,
};

/** Bookkeeping items with nothing for a trajectory. */
const BOOKKEEPING = new Set(["mcp_list_tools", "mcp_approval_request", "mcp_approval_response"]);

/** Item types (besides `message`) that only the Responses API uses; detection looks for them. */
export const RESPONSES_ITEM_TYPES = new Set([
  ...Object.keys(CLIENT_CALLS),
  ...CLIENT_OUTPUTS,
  ...Object.keys(SERVER_CALLS),
  ...BOOKKEEPING,
  "reasoning",
  "compaction",
  "item_reference",
]);

const MESSAGE_ROLES = new Set(["user", "system", "developer", "assistant"]);

/**
 * Accumulates Responses items (input, then output) into draft messages. Assistant-side items that
 * follow each other (reasoning, an assistant message, calls) become one assistant message; reasoning
 * waits for the message or call it precedes. Calls and outputs pair later by `call_id`.
 */
export class ResponseItems {
  readonly messages: DraftMessage[] = [];
  readonly events: TrajectoryEvent[] = [];
  readonly warnings: ImportWarning[] = [];
  readonly unknownItems: unknown[] = [];
  /** Whether any assistant message carried a `phase`; then only `final_answer` messages count as the answer. */
  sawPhase = false;
  /** The last assistant message whose phase is `final_answer`. */
  finalMessage: AssistantDraft | undefined;
  /** The assistant message that calls read next join, while nothing else came after it. */
  private open: AssistantDraft | undefined;
  private reasoning: string[] = [];
  private reasoningExtra: Record<string, unknown> = {};
  private encrypted: string[] = [];
  private encryptedOnly = 0;

  addAll(items: unknown, path: string): void {
    expect(Array.isArray(items), `${path}: expected an array of items, got ${got(items)}`);
    items.forEach((item, i) => this.add(item, `${path}[${i}]`));
  }

  add(item: unknown, path: string): void {
    expect(isRecord(item), `${path}: expected an item object, got ${got(item)}`);
    const type = item.type ?? (typeof item.role === "string" ? "message" : undefined);
    expect(typeof type === "string", `${path}.type: expected a string, got ${got(item.type)}`);
    if (type === "message") this.message(item, path);
    else if (type === "reasoning") this.addReasoning(item, path);
    else if (type in CLIENT_CALLS) this.call(this.clientCall(item, type, path));
    else if (CLIENT_OUTPUTS.has(type)) this.output(item, path);
    else if (type in SERVER_CALLS) this.serverCall(item, type, path);
    else if (type === "compaction") {
      this.events.push({ kind: "compaction", message_index: this.messages.length, marker: "compaction", summary: null });
    } else if (BOOKKEEPING.has(type)) return;
    else {
      this.warnings.push({ code: "unknown-type", message: `${path}: item type "${type}" is not understood; kept under extra.unknown_items`, field: path, name: type });
      this.unknownItems.push(item);
    }
  }

  /** Ends the list: reasoning with nothing after it still becomes an assistant message. */
  finish(): void {
    if (this.reasoning.length > 0 || this.encrypted.length > 0) this.push(this.assistant(null, {}));
    if (this.encryptedOnly > 0) {
      this.warnings.push({
        code: "opaque-reasoning",
        message: `${this.encryptedOnly} reasoning item(s) hold only encrypted_content; their text is not available`,
        count: this.encryptedOnly,
      });
    }
  }

  private message(item: Record<string, unknown>, path: string): void {
    const role = item.role;
    expect(typeof role === "string" && MESSAGE_ROLES.has(role), `${path}.role: expected user, system, developer or assistant, got ${JSON.stringify(role)}`);
    const content = item.content;
    expect(
      content === undefined || content === null || typeof content === "string" || Array.isArray(content),
      `${path}.content: expected a string or an array of content parts, got ${got(content)}`,
    );
    const text = partsText(content);
    const extra = without(item, ["type", "role", "content", "id", "status"]);
    const sourceId = typeof item.id === "string" ? { source_id: item.id } : {};
    if (role !== "assistant") {
      const extraField = Object.keys(extra).length > 0 ? { extra } : {};
      const developer = role === "developer" ? { source_role: role } : {};
      this.push(role === "user" ? { role, content: text, ...sourceId, ...extraField } : { role: "system", content: text, ...developer, ...sourceId, ...extraField });
      return;
    }
    const partReasoning = providerReasoning(content);
    if (partReasoning !== undefined) this.reasoning.push(partReasoning);
    const annotations = Array.isArray(content) ? content.flatMap((p) => (isRecord(p) && Array.isArray(p.annotations) ? p.annotations : [])) : [];
    if (annotations.length > 0) extra.annotations = annotations;
    const message = { ...this.assistant(text, extra), ...sourceId };
    this.push(message);
    this.open = message;
    if (typeof item.phase === "string") {
      this.sawPhase = true;
      if (item.phase === "final_answer") this.finalMessage = message;
    }
  }

  private addReasoning(item: Record<string, unknown>, path: string): void {
    const summary = textsOf(item.summary, `${path}.summary`);
    const content = textsOf(item.content, `${path}.content`);
    const readable = content.length > 0 ? content : summary;
    if (readable.length > 0) this.reasoning.push(readable.join("\n\n"));
    if (content.length > 0 && summary.length > 0) this.reasoningExtra.reasoning_summary = summary.join("\n\n");
    if (typeof item.encrypted_content === "string") {
      this.encrypted.push(item.encrypted_content);
      if (readable.length === 0) this.encryptedOnly++;
    }
  }

  private clientCall(item: Record<string, unknown>, type: string, path: string): DraftToolCall {
    const spec = CLIENT_CALLS[type]!;
    const name = spec.name ?? item.name;
    expect(typeof name === "string", `${path}.name: expected a string, got ${got(item.name)}`);
    const id = asString(item.call_id) ?? asString(item.callId) ?? null;
    return { id, name, type: spec.type, ...spec.args(item) };
  }

  private output(item: Record<string, unknown>, path: string): void {
    const id = asString(item.call_id) ?? asString(item.callId) ?? (item.type === "local_shell_call_output" ? asString(item.id) : undefined);
    const output = item.output;
    expect(
      output === undefined || output === null || typeof output === "string" || Array.isArray(output) || isRecord(output),
      `${path}.output: expected a string, an array of parts or an object, got ${got(output)}`,
    );
    const extra = without(item, ["type", "call_id", "callId", "id", "output", "name", "status"]);
    this.push({
      role: "tool",
      call_id: id ?? null,
      name: asString(item.name) ?? null,
      content: outputText(output),
      is_error: false,
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    });
  }

  private serverCall(item: Record<string, unknown>, type: string, path: string): void {
    const name = SERVER_CALLS[type] ?? item.name;
    expect(typeof name === "string", `${path}.name: expected a string, got ${got(item.name)}`);
    const id = asString(item.id) ?? asString(item.call_id) ?? null;
    this.call({ id, name, type: "server", ...serverArguments(item) });
    const result = serverResult(item);
    if (result !== undefined) this.push({ role: "tool", call_id: id, name, content: result.content, is_error: result.isError });
  }

  private call(call: DraftToolCall): void {
    if (this.open === undefined || this.reasoning.length > 0 || this.encrypted.length > 0) {
      const message = this.assistant(null, {});
      this.push(message);
      this.open = message;
    }
    this.open.tool_calls.push(call);
  }

  /** A new assistant message that takes the reasoning read so far. */
  private assistant(content: string | null, extra: Record<string, unknown>): AssistantDraft {
    const reasoning = this.reasoning.length > 0 ? this.reasoning.join("\n\n") : null;
    // Opaque reasoning is no training text, but a provider needs it back to continue the conversation.
    const merged = { ...this.reasoningExtra, ...(this.encrypted.length > 0 ? { encrypted_reasoning: this.encrypted } : {}), ...extra };
    this.reasoning = [];
    this.reasoningExtra = {};
    this.encrypted = [];
    return { role: "assistant", content, reasoning, tool_calls: [], ...(Object.keys(merged).length > 0 ? { extra: merged } : {}) };
  }

  private push(message: DraftMessage): void {
    this.messages.push(message);
    this.open = undefined;
  }
}

function freeText(input: unknown): Pick<DraftToolCall, "raw_arguments" | "arguments"> {
  return { raw_arguments: typeof input === "string" ? input : null, arguments: typeof input === "string" ? null : (input ?? null) };
}

/** Text of message content: a string, or parts (`input_text`, `output_text`, `refusal`, images and files as placeholders). */
function partsText(content: unknown): string {
  if (!Array.isArray(content)) return contentToText(content);
  return contentToText(content.map((part) => (isRecord(part) && typeof part.refusal === "string" ? { type: "text", text: part.refusal } : part)));
}

/** OpenAI Agents JS keeps a chat backend's reasoning under a part's `providerData.reasoning_content`. */
function providerReasoning(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const texts = content.flatMap((part) =>
    isRecord(part) && isRecord(part.providerData) && typeof part.providerData.reasoning_content === "string" ? [part.providerData.reasoning_content] : [],
  );
  return texts.length > 0 ? texts.join("\n\n") : undefined;
}

function textsOf(parts: unknown, path: string): string[] {
  if (parts === undefined || parts === null) return [];
  expect(Array.isArray(parts), `${path}: expected an array of text parts, got ${got(parts)}`);
  return parts.flatMap((part) => (isRecord(part) && typeof part.text === "string" && part.text.length > 0 ? [part.text] : []));
}

/** Output text: a string, text parts, or the `{stdout, stderr}` entries of shell calls. */
function outputText(output: unknown): string {
  if (Array.isArray(output) && output.some((entry) => isRecord(entry) && ("stdout" in entry || "stderr" in entry))) {
    return output.map((entry) => (isRecord(entry) ? [entry.stdout, entry.stderr].filter((s) => typeof s === "string" && s.length > 0).join("\n") : "")).join("\n");
  }
  return contentToText(output);
}

function serverArguments(item: Record<string, unknown>): Pick<DraftToolCall, "raw_arguments" | "arguments" | "arguments_error"> {
  if (item.arguments !== undefined) return argumentsOf(item.arguments);
  if (typeof item.code === "string") return { raw_arguments: item.code, arguments: null };
  if (isRecord(item.action)) return { raw_arguments: null, arguments: without(item.action, ["sources"]) };
  if (Array.isArray(item.queries)) return { raw_arguments: null, arguments: { queries: item.queries } };
  return { raw_arguments: null, arguments: null };
}

/** What a server call item says it returned, if it holds its result. */
function serverResult(item: Record<string, unknown>): { content: string; isError: boolean } | undefined {
  if (item.error !== undefined && item.error !== null) return { content: contentToText(item.error), isError: true };
  if (item.output !== undefined && item.output !== null) return { content: outputText(item.output), isError: false };
  if (Array.isArray(item.outputs)) {
    const text = item.outputs.map((o) => (isRecord(o) && typeof o.logs === "string" ? o.logs : contentToText(o))).join("\n");
    return { content: text, isError: false };
  }
  if (Array.isArray(item.results)) {
    const text = item.results.map((r) => (isRecord(r) ? [r.filename, r.text].filter((s) => typeof s === "string").join("\n") : contentToText(r))).join("\n\n");
    return { content: text, isError: false };
  }
  if (typeof item.result === "string") return { content: "[image]", isError: false };
  const sources = isRecord(item.action) && Array.isArray(item.action.sources) ? item.action.sources : undefined;
  if (sources) return { content: sources.map((s) => (isRecord(s) && typeof s.url === "string" ? s.url : contentToText(s))).join("\n"), isError: false };
  return undefined;
}

/** What a value is, for error messages; a missing one is said plainly. */
function got(value: unknown): string {
  return value === undefined ? "nothing" : kindOf(value);
}
