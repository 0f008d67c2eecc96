import type { ImportWarning } from "../records/import-warning.js";
import { convertOpenAIMessages, THINK_MARKUP } from "./common/openai-messages.js";
import { expect, kindOf, rowsImporter } from "./common/rows.js";
import { isRecord, without } from "./common/text.js";
import type { ToolDefinition } from "../records/trajectory.js";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** Rows of `{messages: [...], tools?: [...]}`: OpenAI fine-tuning files and chat-completions logs. */
export const openaiChatImporter = rowsImporter({
  format: "openai-chat",
  description: "OpenAI Chat Completions rows: {messages, tools?} with tool_calls, legacy function_call, reasoning_content",
  dropRules: [THINK_MARKUP],
  detectRow(row) {
    const messages = row.messages;
    if (!Array.isArray(messages) || messages.length === 0) return 0;
    const chatLike = messages.every((m) => isRecord(m) && typeof m.role === "string" && ROLES.has(m.role) && !("type" in m));
    return chatLike ? 0.6 : 0;
  },
  convertRow(row, locator) {
    const warnings: ImportWarning[] = [];
    const listed = typeof row.tools === "string" || Array.isArray(row.tools);
    const tools = listed ? readTools(row.tools, warnings) : toolDefinitions(row.functions);
    const model = typeof row.model === "string" ? row.model : undefined;
    return {
      locator,
      messages: convertOpenAIMessages(row.messages, "messages"),
      ...(tools ? { tools } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      // Tools that could not be read stay in extra verbatim.
      extra: without(row, ["messages", ...(tools ? ["tools", "functions"] : []), ...(model !== undefined ? ["model"] : [])]),
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
    const wrapped = isRecord(tool.function) ? "function" : isRecord(tool.custom) ? "custom" : undefined;
    const spec = wrapped ? (tool[wrapped] as Record<string, unknown>) : tool;
    const parameters = spec.parameters ?? spec.input_schema;
    const rest = {
      ...(wrapped ? without(tool, ["type", wrapped]) : {}),
      // A flat spec's `type` is a tag when it says function; a server tool's (`web_search_20250305`) names its version.
      ...without(spec, ["name", "description", "parameters", "input_schema", ...(spec.type === "function" || spec.type === "custom" ? ["type"] : [])]),
    };
    return {
      name: typeof spec.name === "string" ? spec.name : typeof tool.type === "string" ? tool.type : "",
      ...(typeof spec.description === "string" ? { description: spec.description } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
      ...(Object.keys(rest).length > 0 ? { extra: rest } : {}),
    };
  });
}

/** `tools` is a JSON string (LLaMA-Factory) or an array; a string that is not JSON is kept under extra with a warning. */
export function readTools(tools: unknown, warnings: ImportWarning[]): ToolDefinition[] | undefined {
  if (tools === undefined || tools === null || tools === "") return undefined;
  expect(typeof tools === "string" || Array.isArray(tools), `tools: expected a JSON string or an array, got ${kindOf(tools)}`);
  if (Array.isArray(tools)) return toolDefinitions(tools);
  try {
    const parsed: unknown = JSON.parse(tools);
    return toolDefinitions(Array.isArray(parsed) ? parsed : [parsed]);
  } catch (error) {
    warnings.push({ code: "invalid-embedded-json", message: `tools: not valid JSON (${(error as Error).message}); kept verbatim under extra.tools`, field: "tools" });
    return undefined;
  }
}
