import { convertOpenAIMessages } from "./common/openai-messages.js";
import { rowsImporter } from "./common/rows.js";
import { isRecord, without } from "./common/text.js";
import type { ToolDefinition } from "../records/trajectory.js";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** Rows of `{messages: [...], tools?: [...]}`: OpenAI fine-tuning files and chat-completions logs. */
export const openaiChatImporter = rowsImporter({
  format: "openai-chat",
  description: "OpenAI Chat Completions rows: {messages, tools?} with tool_calls, legacy function_call, reasoning_content",
  detectRow(row) {
    const messages = row.messages;
    if (!Array.isArray(messages) || messages.length === 0) return 0;
    const chatLike = messages.every((m) => isRecord(m) && typeof m.role === "string" && ROLES.has(m.role) && !("type" in m));
    return chatLike ? 0.6 : 0;
  },
  convertRow(row, locator) {
    const tools = toolDefinitions(row.tools ?? row.functions);
    const model = typeof row.model === "string" ? row.model : undefined;
    return {
      locator,
      messages: convertOpenAIMessages(row.messages, "messages"),
      ...(tools ? { tools } : {}),
      ...(model !== undefined ? { model } : {}),
      extra: without(row, ["messages", "tools", "functions", ...(model !== undefined ? ["model"] : [])]),
    };
  },
});

/**
 * Tool specs → tool definitions: OpenAI chat (`{type:'function', function:{…}}`, `{type:'custom', custom:{…}}`),
 * flat specs (legacy `functions`, Responses, Anthropic with `input_schema`); built-in tools are named by their type.
 */
export function toolDefinitions(value: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isRecord).map((tool) => {
    const spec = isRecord(tool.function) ? tool.function : isRecord(tool.custom) ? tool.custom : tool;
    const parameters = spec.parameters ?? spec.input_schema;
    return {
      name: typeof spec.name === "string" ? spec.name : typeof tool.type === "string" ? tool.type : "",
      ...(typeof spec.description === "string" ? { description: spec.description } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
    };
  });
}
