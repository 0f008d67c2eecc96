import type { ToolResult, ToolSpec } from "../envs/types.js";
import type { ChatMessage, ChatResult } from "../llm/types.js";
import { isRecord } from "../json.js";

/** One tool call the policy made, with its arguments parsed (or why they could not be). */
export interface Call {
  id: string;
  name: string;
  /** The argument text exactly as the model wrote it. */
  rawArguments: string;
  args?: Record<string, unknown>;
  error?: string;
}

/** What a reply asks for. */
export type Action =
  | { kind: "tools"; calls: Call[] }
  | { kind: "final"; answer: string; tagged: boolean }
  /** Neither a usable call nor an answer: the agent is told why and goes on. */
  | { kind: "invalid"; reason: string };

/**
 * How tools reach the policy and its actions come back. `native`: OpenAI function calling (the server's
 * tool parser); `text`: tools described in the system prompt, calls written as
 * `<tool_call>{"name": …, "arguments": {…}}</tool_call>` and the answer inside `<answer></answer>`, for
 * models or servers without function calling.
 */
export interface ToolProtocol {
  readonly name: "native" | "text";
  systemPrompt(base: string, tools: readonly ToolSpec[]): string;
  /** The request's `tools` (undefined for the text protocol). */
  requestTools(tools: readonly ToolSpec[]): unknown[] | undefined;
  parse(result: ChatResult, step: number): Action;
  /** The reply as it goes back into the conversation. */
  assistantMessage(result: ChatResult, action: Action): ChatMessage;
  /** The tool results as messages. */
  observations(calls: readonly Call[], results: readonly ToolResult[]): ChatMessage[];
  /** The message that tells the agent its reply was not usable. */
  correction(reason: string): ChatMessage;
}

const ANSWER = /<answer>([\s\S]*?)<\/answer>/g;

/** The final answer of a reply: the last `<answer>…</answer>`, else the whole text. */
function answerOf(content: string): { answer: string; tagged: boolean } {
  const tagged = [...content.matchAll(ANSWER)].at(-1);
  return tagged ? { answer: tagged[1]!.trim(), tagged: true } : { answer: content.trim(), tagged: false };
}

function parseArguments(raw: string): { args?: Record<string, unknown>; error?: string } {
  if (raw.trim() === "") return { args: {} };
  try {
    const value: unknown = JSON.parse(raw);
    if (isRecord(value)) return { args: value };
    return { error: "the arguments must be a JSON object" };
  } catch (error) {
    return { error: `the arguments are not valid JSON (${(error as Error).message})` };
  }
}

const cutReason = (result: ChatResult) => `your reply was cut off at the token limit (${result.usage?.completion_tokens ?? "?"} tokens); write a shorter reply`;

export const nativeProtocol: ToolProtocol = {
  name: "native",
  systemPrompt: (base) => base,
  requestTools: (tools) => tools.map((tool) => ({ type: "function", function: tool })),
  parse(result) {
    if (result.tool_calls.length > 0) {
      return { kind: "tools", calls: result.tool_calls.map((call) => ({ id: call.id, name: call.name, rawArguments: call.arguments, ...parseArguments(call.arguments) })) };
    }
    if (result.finish === "length") return { kind: "invalid", reason: cutReason(result) };
    const content = result.content ?? "";
    if (content.trim() === "") return { kind: "invalid", reason: "your reply was empty: call a tool, or reply with the final answer" };
    return { kind: "final", ...answerOf(content) };
  },
  assistantMessage(result) {
    const message: ChatMessage = { role: "assistant", content: result.content ?? "" };
    if (result.tool_calls.length > 0) {
      message.tool_calls = result.tool_calls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }));
    }
    if (result.reasoning !== null) message.reasoning_content = result.reasoning;
    return message;
  },
  observations: (calls, results) => calls.map((call, i) => ({ role: "tool", tool_call_id: call.id, name: call.name, content: results[i]!.content })),
  correction: (reason) => ({ role: "user", content: reason }),
};

const TOOL_CALL = /<tool_call>\s*([\s\S]*?)\s*<\/tool_call>/g;

export const textProtocol: ToolProtocol = {
  name: "text",
  systemPrompt(base, tools) {
    const specs = tools.map((tool) => JSON.stringify({ name: tool.name, description: tool.description, parameters: tool.parameters })).join("\n");
    return [
      base,
      "",
      "Tools (one JSON description per line):",
      specs,
      "",
      'To call a tool, write <tool_call>{"name": "<tool name>", "arguments": {<arguments>}}</tool_call>; you may write several.',
      "The results come back in the next message. When you know the answer, write it inside <answer></answer>.",
    ].join("\n");
  },
  requestTools: () => undefined,
  parse(result, step) {
    const content = result.content ?? "";
    const blocks = [...content.matchAll(TOOL_CALL)];
    if (blocks.length > 0) {
      const calls = blocks.map((block, i): Call => {
        const id = `call_${step}_${i}`;
        const raw = block[1]!;
        const parsed = parseArguments(raw);
        if (parsed.error !== undefined || parsed.args === undefined) return { id, name: "", rawArguments: raw, error: parsed.error ?? "not a JSON object" };
        const { name, arguments: args } = parsed.args as { name?: unknown; arguments?: unknown };
        if (typeof name !== "string") return { id, name: "", rawArguments: raw, error: 'the call needs a "name" string' };
        if (args !== undefined && !isRecord(args)) {
          return { id, name, rawArguments: raw, error: '"arguments" must be a JSON object' };
        }
        return { id, name, rawArguments: raw, args: (args ?? {}) as Record<string, unknown> };
      });
      return { kind: "tools", calls };
    }
    if (/<answer>[\s\S]*?<\/answer>/.test(content)) return { kind: "final", ...answerOf(content) };
    if (result.finish === "length") return { kind: "invalid", reason: cutReason(result) };
    return { kind: "invalid", reason: "your reply had no <tool_call> and no <answer>: call a tool, or give the final answer inside <answer></answer>" };
  },
  assistantMessage(result) {
    const message: ChatMessage = { role: "assistant", content: result.content ?? "" };
    if (result.reasoning !== null) message.reasoning_content = result.reasoning;
    return message;
  },
  observations(calls, results) {
    const parts = calls.map((call, i) => `<tool_response name="${call.name}">\n${results[i]!.content}\n</tool_response>`);
    return [{ role: "user", content: parts.join("\n") }];
  },
  correction: (reason) => ({ role: "user", content: reason }),
};
