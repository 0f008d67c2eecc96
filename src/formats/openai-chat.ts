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
    const extra = without(row, ["messages", "tools", "functions"]);
    return {
      locator,
      messages: convertOpenAIMessages(row.messages, "messages"),
      ...(toolDefinitions(row.tools ?? row.functions) ? { tools: toolDefinitions(row.tools ?? row.functions)! } : {}),
      ...(typeof row.model === "string" ? { model: row.model } : {}),
      extra,
    };
  },
});

/** OpenAI tool specs ({type:'function', function:{…}} or bare function specs) → tool definitions. */
export function toolDefinitions(value: unknown): ToolDefinition[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isRecord).map((tool) => {
    const fn = isRecord(tool.function) ? tool.function : tool;
    return {
      name: typeof fn.name === "string" ? fn.name : "",
      ...(typeof fn.description === "string" ? { description: fn.description } : {}),
      ...(fn.parameters !== undefined ? { parameters: fn.parameters } : {}),
    };
  });
}
