import { AccError } from "../errors/acc-error.js";
import { isRecord } from "../json.js";
import type { ChatResult, ChatToolCall, ChatUsage } from "./types.js";
import type { ErrorCode } from "../errors/codes.js";

/** The parts of a ChatResult read from the server's answer (the client adds cached, attempts, raw). */
export type ParsedChoice = Omit<ChatResult, "cached" | "attempts" | "raw" | "finish">;

// Objects here are built field by field: on Node 20 a spread followed by more fields costs microseconds.

/** Thrown by the parsers when a body does not have the shape of a chat completion; the client maps it to "malformed". */
export class ResponseShapeError extends AccError {
  protected override defaultCode(): ErrorCode {
    return "malformed";
  }
}

type Json = Record<string, unknown>;

const stringOrNull = (value: unknown) => (typeof value === "string" ? value : null);
const numbers = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === "number") ? (value as number[]) : undefined);

/** gpt-oss harmony markup: `<|channel|>NAME<|message|>TEXT` up to `<|end|>`, `<|return|>`, `<|call|>` or the next `<|start|>`. */
const HARMONY_MESSAGE = /<\|channel\|>\s*([a-z]+)[^<]*?(?:<\|constrain\|>[^<]*)?<\|message\|>([\s\S]*?)(?=<\|end\|>|<\|return\|>|<\|call\|>|<\|start\|>|$)/g;
/** The same with the special tokens stripped (a server that skips special tokens): `analysis…assistantfinal…`. */
const HARMONY_STRIPPED = /^analysis([\s\S]*?)assistantfinal([\s\S]*)$/;

/**
 * gpt-oss output from a server without a reasoning parser: the `analysis` channel is reasoning, the
 * `final` channel the content (other channels, such as tool preambles in `commentary`, join the reasoning).
 * Undefined when the text is not harmony markup. Without a final channel (cut off by max_tokens) the
 * content is "".
 */
export function splitHarmony(content: string): { reasoning: string | null; content: string } | undefined {
  if (content.includes("<|channel|>") && content.includes("<|message|>")) {
    const reasoning: string[] = [];
    const final: string[] = [];
    for (const [, channel, text] of content.matchAll(HARMONY_MESSAGE)) (channel === "final" ? final : reasoning).push(text!.trim());
    if (reasoning.length === 0 && final.length === 0) return undefined;
    return { reasoning: reasoning.length > 0 ? reasoning.join("\n\n") : null, content: final.join("\n\n") };
  }
  const stripped = HARMONY_STRIPPED.exec(content);
  return stripped ? { reasoning: stripped[1]!.trim(), content: stripped[2]!.trim() } : undefined;
}

/**
 * Reasoning carried inside the content: gpt-oss harmony markup (see splitHarmony), a leading
 * `<think>…</think>` (content is what follows), or the DeepSeek-R1 form where the chat template opened the
 * tag and the output only closes it. An unclosed leading `<think>` (cut off by max_tokens) is all reasoning.
 */
export function splitThink(content: string | null): { reasoning: string | null; content: string | null } {
  if (content === null) return { reasoning: null, content };
  const harmony = content.includes("<|") || content.startsWith("analysis") ? splitHarmony(content) : undefined;
  if (harmony) return harmony;
  const lead = content.trimStart();
  const close = content.indexOf("</think>");
  if (lead.startsWith("<think>")) {
    const body = lead.slice("<think>".length);
    const end = body.indexOf("</think>");
    if (end === -1) return { reasoning: body.trim(), content: "" };
    return { reasoning: body.slice(0, end).trim(), content: body.slice(end + "</think>".length).trimStart() };
  }
  if (close !== -1 && !content.includes("<think>")) {
    return { reasoning: content.slice(0, close).trim(), content: content.slice(close + "</think>".length).trimStart() };
  }
  return { reasoning: null, content };
}

const count = (value: unknown) => (typeof value === "number" ? value : 0);

function usageOf(value: unknown): ChatUsage | null {
  if (!isRecord(value)) return null;
  const usage: ChatUsage = {
    prompt_tokens: count(value["prompt_tokens"]),
    completion_tokens: count(value["completion_tokens"]),
    total_tokens: count(value["total_tokens"]),
  };
  const details = value["completion_tokens_details"];
  if (isRecord(details) && typeof details["reasoning_tokens"] === "number") usage.reasoning_tokens = details["reasoning_tokens"];
  return usage;
}

/** `logprobs.content[].logprob` (OpenAI, vLLM, SGLang), or the legacy `logprobs.token_logprobs` SGLang also sends in chat chunks. */
function logprobValues(value: unknown): number[] | undefined {
  if (!isRecord(value)) return undefined;
  if (Array.isArray(value["content"])) {
    return value["content"].map((entry) => (isRecord(entry) && typeof entry["logprob"] === "number" ? entry["logprob"] : Number.NaN));
  }
  if (Array.isArray(value["token_logprobs"])) return value["token_logprobs"].map((v) => (typeof v === "number" ? v : Number.NaN));
  return undefined;
}

function argumentsText(value: unknown): string {
  if (typeof value === "string") return value;
  return value === undefined || value === null ? "" : JSON.stringify(value);
}

/**
 * The text of content parts: a string as is; an array of parts (Mistral's magistral, and OpenAI-style
 * `[{type: "text", text}]`) split into its text parts and its thinking parts (`{type: "thinking",
 * thinking: [{type: "text", text}] | string}`). Other part types (references, images) carry no text.
 */
export function contentParts(value: unknown): { text: string | null; thinking: string | null } {
  if (typeof value === "string") return { text: value, thinking: null };
  if (!Array.isArray(value)) return { text: null, thinking: null };
  let text: string | null = null;
  let thinking: string | null = null;
  for (const part of value) {
    if (typeof part === "string") text = (text ?? "") + part;
    else if (isRecord(part) && (part["type"] === "text" || part["type"] === "output_text") && typeof part["text"] === "string") text = (text ?? "") + part["text"];
    else if (isRecord(part) && (part["type"] === "thinking" || part["type"] === "reasoning")) {
      const inner = partsText(part["thinking"] ?? part["text"]);
      if (inner !== null) thinking = (thinking ?? "") + inner;
    }
  }
  return { text, thinking };
}

function partsText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return null;
  let text: string | null = null;
  for (const part of value) {
    if (typeof part === "string") text = (text ?? "") + part;
    else if (isRecord(part) && typeof part["text"] === "string") text = (text ?? "") + part["text"];
  }
  return text;
}

/** OpenRouter's `reasoning_details`: the text of `reasoning.text` entries, else of `reasoning.summary` ones (encrypted entries carry none). */
export function reasoningDetailsText(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const pick = (type: string, field: string) =>
    value.filter((d) => isRecord(d) && d["type"] === type && typeof d[field] === "string").map((d) => (d as Json)[field] as string);
  const texts = pick("reasoning.text", "text");
  const chosen = texts.length > 0 ? texts : pick("reasoning.summary", "summary");
  return chosen.length > 0 ? chosen.join("") : null;
}

/**
 * `reasoning_content` wins over vLLM's newer `reasoning` when a server sends both (they carry the same
 * text), and either over OpenRouter's `reasoning_details` (OpenRouter sends `reasoning` beside it) and
 * thinking parts in the content.
 */
function reasoningOf(message: Json, thinking: string | null): string | null {
  // in order, each read only when the ones before it are missing or empty
  const content = message["reasoning_content"];
  if (typeof content === "string" && content !== "") return content;
  const reasoning = message["reasoning"];
  if (typeof reasoning === "string" && reasoning !== "") return reasoning;
  const details = reasoningDetailsText(message["reasoning_details"]);
  if (details !== null && details !== "") return details;
  return thinking !== null && thinking !== "" ? thinking : null;
}

function withReasoning(content: string | null, reasoning: string | null) {
  return reasoning !== null ? { content, reasoning } : splitThink(content);
}

function firstChoice(body: Json): Json {
  const choices = body["choices"];
  if (!Array.isArray(choices)) throw new ResponseShapeError(isRecord(body["error"]) ? `error body: ${String(body["error"]["message"])}` : "no choices array");
  let choice: unknown = choices[0];
  for (const candidate of choices) {
    if (isRecord(candidate) && (candidate["index"] ?? 0) === 0) {
      choice = candidate;
      break;
    }
  }
  if (!isRecord(choice)) throw new ResponseShapeError("choices is empty");
  return choice;
}

/** A non-streaming `chat.completion` body. */
export function parseCompletion(body: unknown): ParsedChoice {
  if (!isRecord(body)) throw new ResponseShapeError("body is not a JSON object");
  const choice = firstChoice(body);
  const message = choice["message"];
  if (!isRecord(message)) throw new ResponseShapeError("choices[0].message is missing");
  const toolCalls: ChatToolCall[] = [];
  if (Array.isArray(message["tool_calls"])) {
    for (const call of message["tool_calls"]) {
      if (!isRecord(call)) continue;
      const fn = isRecord(call["function"]) ? call["function"] : {};
      const id = typeof call["id"] === "string" ? call["id"] : `call_${toolCalls.length}`;
      toolCalls.push({ id, name: String(fn["name"] ?? ""), arguments: argumentsText(fn["arguments"]) });
    }
  }
  const content = message["content"];
  // a plain string (most servers) has no parts to read
  const parts = typeof content === "string" ? undefined : contentParts(content);
  const text = withReasoning(parts ? parts.text : (content as string), reasoningOf(message, parts ? parts.thinking : null));
  const parsed: ParsedChoice = {
    content: text.content,
    reasoning: text.reasoning,
    tool_calls: toolCalls,
    finish_reason: stringOrNull(choice["finish_reason"]),
    usage: usageOf(body["usage"]),
    model: stringOrNull(body["model"]),
  };
  const promptIds = numbers(body["prompt_token_ids"]) ?? numbers(choice["prompt_token_ids"]);
  const completionIds = numbers(choice["token_ids"]);
  const logprobs = logprobValues(choice["logprobs"]);
  if (promptIds) parsed.prompt_token_ids = promptIds;
  if (completionIds) parsed.completion_token_ids = completionIds;
  if (logprobs) parsed.logprobs = logprobs;
  return parsed;
}

/**
 * Whether a stream chunk carries more than deltas the result already holds: the usage chunk or a finish
 * reason (where servers put extras such as a matched stop string). With the first chunk these are the
 * ones kept as a stream's `raw`; a long answer streamed token by token would otherwise keep thousands.
 */
export function isLandmark(chunk: unknown): boolean {
  if (!isRecord(chunk)) return false;
  if (isRecord(chunk["usage"])) return true;
  const choices = chunk["choices"];
  return Array.isArray(choices) && choices.some((choice) => isRecord(choice) && choice["finish_reason"] != null);
}

interface ToolCallParts {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Accumulates the `chat.completion.chunk` events of one streamed answer (choice 0): content, both
 * reasoning fields, tool-call deltas by index, token ids, logprobs, and the final usage chunk.
 */
export class StreamAccumulator {
  private content: string[] = [];
  private reasoningContent: string[] = [];
  private reasoning: string[] = [];
  private reasoningDetails: string[] = [];
  private thinking: string[] = [];
  private readonly toolCalls = new Map<number, ToolCallParts>();
  private finishReason: string | null = null;
  private usage: ChatUsage | null = null;
  private model: string | null = null;
  private promptIds: number[] | undefined;
  private completionIds: number[] | undefined;
  private logprobs: number[] | undefined;

  add(chunk: unknown): void {
    if (!isRecord(chunk)) throw new ResponseShapeError("stream chunk is not a JSON object");
    if (isRecord(chunk["error"])) {
      // after choice 0 has finished, an error event (OpenRouter's "Token limit reached" after finish_reason
      // "length") takes nothing from the answer already received
      if (this.finishReason === null) throw new ResponseShapeError(`error event in stream: ${String(chunk["error"]["message"])}`);
      if (isRecord(chunk["usage"])) this.usage = usageOf(chunk["usage"]);
      return;
    }
    if (!Array.isArray(chunk["choices"])) throw new ResponseShapeError("stream chunk has no choices array");
    if (typeof chunk["model"] === "string") this.model = chunk["model"];
    if (isRecord(chunk["usage"])) this.usage = usageOf(chunk["usage"]);
    const promptIds = numbers(chunk["prompt_token_ids"]);
    if (promptIds) this.promptIds = promptIds;
    for (const choice of chunk["choices"]) {
      if (isRecord(choice) && (choice["index"] ?? 0) === 0) this.addChoice(choice);
    }
  }

  private addChoice(choice: Json): void {
    const delta = isRecord(choice["delta"]) ? choice["delta"] : {};
    const content = delta["content"];
    if (typeof content === "string") this.content.push(content);
    else if (Array.isArray(content)) {
      const parts = contentParts(content);
      if (parts.text !== null) this.content.push(parts.text);
      if (parts.thinking !== null) this.thinking.push(parts.thinking);
    }
    if (typeof delta["reasoning_content"] === "string") this.reasoningContent.push(delta["reasoning_content"]);
    if (typeof delta["reasoning"] === "string") this.reasoning.push(delta["reasoning"]);
    const details = reasoningDetailsText(delta["reasoning_details"]);
    if (details !== null) this.reasoningDetails.push(details);
    if (Array.isArray(delta["tool_calls"])) for (const call of delta["tool_calls"]) if (isRecord(call)) this.addToolCall(call);
    if (typeof choice["finish_reason"] === "string") this.finishReason = choice["finish_reason"];
    const ids = numbers(choice["token_ids"]);
    if (ids) this.completionIds = (this.completionIds ?? []).concat(ids);
    const promptIds = numbers(choice["prompt_token_ids"]);
    if (promptIds) this.promptIds = promptIds;
    const logprobs = logprobValues(choice["logprobs"]);
    if (logprobs) this.logprobs = (this.logprobs ?? []).concat(logprobs);
  }

  private addToolCall(call: Json): void {
    const index = typeof call["index"] === "number" ? call["index"] : this.toolCalls.size;
    let parts = this.toolCalls.get(index);
    if (!parts) {
      parts = { id: "", name: "", arguments: "" };
      this.toolCalls.set(index, parts);
    }
    if (typeof call["id"] === "string" && call["id"] !== "") parts.id = call["id"];
    const fn = isRecord(call["function"]) ? call["function"] : {};
    if (typeof fn["name"] === "string") parts.name += fn["name"];
    if (typeof fn["arguments"] === "string") parts.arguments += fn["arguments"];
  }

  /** True once choice 0 has a finish reason (a stream that ends after this without [DONE] lost nothing we keep). */
  get finished(): boolean {
    return this.finishReason !== null;
  }

  result(): ParsedChoice {
    // servers open every stream with an empty content delta, so no text at all means no content (null)
    const text = this.content.join("");
    const content = text === "" ? null : text;
    // the same precedence as a plain answer's (reasoningOf)
    let reasoning: string | null = null;
    for (const field of [this.reasoningContent, this.reasoning, this.reasoningDetails, this.thinking]) {
      const joined = field.join("");
      if (joined !== "") {
        reasoning = joined;
        break;
      }
    }
    const split = withReasoning(content, reasoning);
    const parsed: ParsedChoice = {
      content: split.content,
      reasoning: split.reasoning,
      tool_calls: [...this.toolCalls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([index, parts]) => ({ id: parts.id || `call_${index}`, name: parts.name, arguments: parts.arguments })),
      finish_reason: this.finishReason,
      usage: this.usage,
      model: this.model,
    };
    if (this.promptIds) parsed.prompt_token_ids = this.promptIds;
    if (this.completionIds) parsed.completion_token_ids = this.completionIds;
    if (this.logprobs) parsed.logprobs = this.logprobs;
    return parsed;
  }
}
