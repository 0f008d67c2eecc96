import type { ImportWarning } from "../../records/import-warning.js";
import { argumentsOf } from "../common/openai-messages.js";
import { expect, kindOf, ShapeError } from "../common/rows.js";
import { asString, contentToText, isRecord, without } from "../common/text.js";
import type { DraftMessage, DraftToolCall, DropRule } from "../types.js";

type AssistantDraft = Extract<DraftMessage, { role: "assistant" }>;

/** Blocks holding the result of a tool the API ran itself; they sit in the assistant message. */
const SERVER_RESULTS = new Set([
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "tool_search_tool_result",
  "mcp_tool_result",
]);
const SERVER_CALLS = new Set(["server_tool_use", "mcp_tool_use"]);

/** For the lossless audit: base64 image bytes, which the text shows as an [image] placeholder. */
export const IMAGE_BYTES: DropRule = { path: "/**/{type=image}/source/data", reason: "noise", note: "image bytes (base64); the text holds an [image] placeholder" };

/** Block types only Anthropic messages have; detection looks for them. */
export const ANTHROPIC_BLOCK_TYPES = new Set(["tool_use", "tool_result", "thinking", "redacted_thinking", ...SERVER_CALLS, ...SERVER_RESULTS]);

/**
 * Anthropic Messages → draft messages. `tool_result` blocks of a user message become tool messages
 * (source_role user); a server tool's result, which sits inside the assistant message, splits it:
 * assistant (with the server call) → tool (its result) → assistant (what follows).
 */
export class AnthropicMessages {
  readonly messages: DraftMessage[] = [];
  readonly warnings: ImportWarning[] = [];

  addAll(messages: unknown, path: string): void {
    expect(Array.isArray(messages), `${path}: expected an array of messages, got ${got(messages)}`);
    messages.forEach((message, i) => this.add(message, `${path}[${i}]`));
  }

  add(message: unknown, path: string): void {
    expect(isRecord(message), `${path}: expected a message object, got ${got(message)}`);
    const { role, content } = message;
    expect(role === "user" || role === "assistant", `${path}.role: expected user or assistant, got ${JSON.stringify(role)}`);
    expect(typeof content === "string" || Array.isArray(content), `${path}.content: expected a string or an array of blocks, got ${got(content)}`);
    const extra = without(message, ["role", "content", "type", "id"]);
    const start = this.messages.length;
    if (role === "user") this.user(content, path);
    else this.assistant(content, path);
    const produced = this.messages.slice(start);
    // Every message cut from this one shares its id; the reply's other fields (stop_reason, usage) describe its end.
    if (typeof message.id === "string") for (const m of produced) m.source_id = message.id;
    const last = produced[produced.length - 1];
    if (last && Object.keys(extra).length > 0) last.extra = { ...last.extra, ...extra };
  }

  private user(content: string | unknown[], path: string): void {
    if (typeof content === "string") {
      this.messages.push({ role: "user", content });
      return;
    }
    let texts: string[] = [];
    const flush = () => {
      if (texts.length > 0) this.messages.push({ role: "user", content: texts.join("\n") });
      texts = [];
    };
    content.forEach((raw, i) => {
      const block = blockAt(raw, `${path}.content[${i}]`);
      if (block.type === "tool_result") {
        flush();
        this.messages.push(toolResult(block, `${path}.content[${i}]`, "user"));
      } else texts.push(resultText(block));
    });
    flush();
    if (content.length === 0) this.messages.push({ role: "user", content: "" });
  }

  private assistant(content: string | unknown[], path: string): void {
    if (typeof content === "string") {
      this.messages.push({ role: "assistant", content, reasoning: null, tool_calls: [] });
      return;
    }
    const turn = new AssistantTurn();
    content.forEach((raw, i) => {
      const at = `${path}.content[${i}]`;
      const block = blockAt(raw, at);
      const type = block.type;
      if (type === "text") turn.text(block);
      else if (type === "thinking") turn.thinking(block, at);
      else if (type === "redacted_thinking") turn.redact(block);
      else if (type === "tool_use" || SERVER_CALLS.has(type)) turn.calls.push(toolUse(block, at, type === "tool_use" ? "function" : "server"));
      else if (SERVER_RESULTS.has(type)) {
        turn.flushInto(this.messages);
        this.messages.push(toolResult(block, at, "assistant"));
      } else if (type === "tool_result") {
        throw new ShapeError(`${at}: a tool_result block belongs in a user message`);
      } else {
        this.warnings.push({ code: "unknown-type", message: `${at}: block type "${type}" is not understood; kept under the message's extra.unknown_blocks`, field: at, name: type });
        turn.unknown.push(block);
      }
    });
    if (!turn.flushInto(this.messages) && content.length === 0) {
      this.messages.push({ role: "assistant", content: "", reasoning: null, tool_calls: [] });
    }
    if (turn.redactedTotal > 0) {
      this.warnings.push({
        code: "opaque-reasoning",
        message: `${path}: ${turn.redactedTotal} redacted_thinking block(s) are opaque; their data is kept under extra.redacted_thinking, no text`,
        count: turn.redactedTotal,
        field: path,
      });
    }
  }
}

/** The blocks of one assistant message read so far, up to the next server result. */
class AssistantTurn {
  calls: DraftToolCall[] = [];
  unknown: Record<string, unknown>[] = [];
  redactedTotal = 0;
  /** The encrypted data of redacted_thinking blocks: opaque, but the provider needs it back to continue. */
  private redacted: string[] = [];
  private texts: { text: string; cited: boolean }[] = [];
  private reasoning: string[] = [];
  private signatures: string[] = [];
  private citations: unknown[] = [];

  text(block: Record<string, unknown>): void {
    const cited = Array.isArray(block.citations) && block.citations.length > 0;
    if (cited) this.citations.push(...(block.citations as unknown[]));
    this.texts.push({ text: asString(block.text) ?? "", cited });
  }

  thinking(block: Record<string, unknown>, path: string): void {
    expect(typeof block.thinking === "string", `${path}.thinking: expected a string, got ${got(block.thinking)}`);
    this.reasoning.push(block.thinking);
    if (typeof block.signature === "string") this.signatures.push(block.signature);
  }

  redact(block: Record<string, unknown>): void {
    this.redacted.push(typeof block.data === "string" ? block.data : "");
  }

  /** Pushes the assistant message read so far, if any; true when it pushed one. */
  flushInto(messages: DraftMessage[]): boolean {
    const empty = this.texts.length === 0 && this.reasoning.length === 0 && this.calls.length === 0 && this.redacted.length === 0 && this.unknown.length === 0;
    if (empty) return false;
    const extra: Record<string, unknown> = {};
    if (this.signatures.length > 0) extra.thinking_signatures = this.signatures;
    if (this.redacted.length > 0) extra.redacted_thinking = this.redacted;
    if (this.citations.length > 0) extra.citations = this.citations;
    if (this.unknown.length > 0) extra.unknown_blocks = this.unknown;
    const message: AssistantDraft = {
      role: "assistant",
      content: this.texts.length > 0 ? joinTexts(this.texts) : null,
      reasoning: this.reasoning.length > 0 ? this.reasoning.join("\n\n") : null,
      tool_calls: this.calls,
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    };
    messages.push(message);
    this.redactedTotal += this.redacted.length;
    this.calls = [];
    this.unknown = [];
    this.redacted = [];
    this.texts = [];
    this.reasoning = [];
    this.signatures = [];
    this.citations = [];
    return true;
  }
}

/** Text blocks split around citations are pieces of one sentence: joined as they are. Others go on new lines. */
function joinTexts(texts: { text: string; cited: boolean }[]): string {
  let out = texts[0]!.text;
  for (let i = 1; i < texts.length; i++) out += (texts[i]!.cited || texts[i - 1]!.cited ? "" : "\n") + texts[i]!.text;
  return out;
}

function blockAt(raw: unknown, path: string): Record<string, unknown> & { type: string } {
  expect(isRecord(raw), `${path}: expected a content block object, got ${got(raw)}`);
  expect(typeof raw.type === "string", `${path}.type: expected a string, got ${got(raw.type)}`);
  return raw as Record<string, unknown> & { type: string };
}

function toolUse(block: Record<string, unknown>, path: string, type: DraftToolCall["type"]): DraftToolCall {
  expect(typeof block.id === "string", `${path}.id: expected a string, got ${got(block.id)}`);
  expect(typeof block.name === "string", `${path}.name: expected a string, got ${got(block.name)}`);
  return { id: block.id, name: block.name, type, ...argumentsOf(block.input) };
}

function toolResult(block: Record<string, unknown>, path: string, sourceRole: "user" | "assistant"): DraftMessage {
  expect(typeof block.tool_use_id === "string", `${path}.tool_use_id: expected a string, got ${got(block.tool_use_id)}`);
  const content = block.content;
  const errorType = isRecord(content) && typeof content.type === "string" && content.type.endsWith("_error");
  const extra = without(block, ["type", "tool_use_id", "content", "is_error", "cache_control"]);
  const opaque = Array.isArray(content) ? content.filter(isRecord).map(searchResultExtra).filter((e) => e !== undefined) : [];
  if (opaque.length > 0) extra.search_results = opaque;
  return {
    role: "tool",
    call_id: block.tool_use_id,
    name: null,
    content: errorType ? String((content as Record<string, unknown>).error_code ?? content.type) : resultText(content),
    is_error: block.is_error === true || errorType,
    source_role: sourceRole,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/**
 * What a web search result holds besides the title and url its text shows: `encrypted_content` (the provider's
 * copy of the page, needed to cite it in a later turn), `page_age`; by url, undefined when nothing else.
 */
function searchResultExtra(result: Record<string, unknown>): Record<string, unknown> | undefined {
  if (result.type !== "web_search_result") return undefined;
  const rest = without(result, ["type", "title", "url"]);
  return Object.keys(rest).length > 0 ? { url: result.url, ...rest } : undefined;
}

/** Text of user or tool-result content: a string or blocks, including documents and the result shapes of server tools. */
function resultText(content: unknown): string {
  if (Array.isArray(content)) return content.map(resultText).filter((s) => s.length > 0).join("\n");
  if (!isRecord(content)) return contentToText(content);
  switch (content.type) {
    case "web_search_result":
      return [content.title, content.url].filter((s) => typeof s === "string").join("\n");
    case "search_result":
      return [content.title, content.source, contentToText(content.content)].filter((s) => typeof s === "string" && s.length > 0).join("\n");
    case "web_fetch_result":
      return [content.url, resultText(content.content)].filter((s) => typeof s === "string" && s.length > 0).join("\n");
    case "document": {
      const source = isRecord(content.source) ? content.source : {};
      const data = source.type === "text" && typeof source.data === "string" ? source.data : "[document]";
      return [content.title, data].filter((s) => typeof s === "string" && s.length > 0).join("\n");
    }
    case "code_execution_result":
    case "bash_code_execution_result":
      return [content.stdout, content.stderr].filter((s) => typeof s === "string" && s.length > 0).join("\n");
    default:
      return contentToText(content);
  }
}

/** What a value is, for error messages; a missing one is said plainly. */
function got(value: unknown): string {
  return value === undefined ? "nothing" : kindOf(value);
}
