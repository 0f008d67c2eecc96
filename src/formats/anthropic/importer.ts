import { ANTHROPIC_BLOCK_TYPES, AnthropicMessages, IMAGE_BYTES } from "./blocks.js";
import { expect, kindOf, rowsImporter } from "../common/rows.js";
import { contentToText, isRecord, without } from "../common/text.js";
import { toolDefinitions } from "../openai-chat.js";

const REQUEST_KEYS = ["system", "messages", "tools", "model"];

/**
 * Anthropic Messages rows. Accepted: a request body or conversation `{system?, messages, tools?, model?, …}`;
 * the same with the API's reply beside it, `{…, response: {type:'message', role:'assistant', content, stop_reason, …}}`;
 * and `{request: {system?, messages, tools?, model?}, response: {…}}`. The reply becomes the last assistant message.
 */
export const anthropicImporter = rowsImporter({
  format: "anthropic",
  description: "Anthropic Messages rows: {system?, messages, tools?} with tool_use, tool_result, thinking, server tools; optional response",
  dropRules: [IMAGE_BYTES],
  detectRow(row) {
    const request = isRecord(row.request) ? row.request : row;
    const messages = request.messages;
    if (!Array.isArray(messages) || messages.length === 0) return 0;
    if (!messages.every((m) => isRecord(m) && (m.role === "user" || m.role === "assistant"))) return 0;
    const response = isRecord(row.response) ? row.response : undefined;
    const blocks = [...messages, ...(response ? [response] : [])].flatMap((m) => (isRecord(m) && Array.isArray(m.content) ? m.content : []));
    if (blocks.some((b) => isRecord(b) && typeof b.type === "string" && ANTHROPIC_BLOCK_TYPES.has(b.type))) return 0.8;
    // Plain text conversations are Anthropic-shaped only through a top-level system or a Messages reply.
    const anthropicReply = response?.type === "message" && Array.isArray(response.content);
    return request.system !== undefined || anthropicReply ? 0.65 : 0;
  },
  convertRow(row, locator) {
    const nested = isRecord(row.request);
    const request = nested ? (row.request as Record<string, unknown>) : row;
    const at = (key: string) => (nested ? `request.${key}` : key);
    const converted = new AnthropicMessages();
    const system = systemText(request.system, at("system"));
    if (system !== undefined) converted.messages.push({ role: "system", content: system });
    converted.addAll(request.messages, at("messages"));

    const response = row.response;
    expect(response === undefined || isRecord(response), `response: expected a message object, got ${kindOf(response)}`);
    if (response !== undefined) converted.add({ ...without(response, ["model"]), role: response.role ?? "assistant" }, "response");

    const model = typeof response?.model === "string" ? response.model : typeof request.model === "string" ? request.model : undefined;
    const tools = toolDefinitions(request.tools);
    const requestRest = without(request, REQUEST_KEYS);
    const extra = nested
      ? { ...without(row, ["request", "response"]), ...(Object.keys(requestRest).length > 0 ? { request: requestRest } : {}) }
      : without(row, [...REQUEST_KEYS, "response"]);
    return {
      locator,
      messages: converted.messages,
      ...(tools ? { tools } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(converted.warnings.length > 0 ? { warnings: converted.warnings } : {}),
      extra,
    };
  },
});

/** `system` is a string or a list of text blocks. */
function systemText(system: unknown, path: string): string | undefined {
  if (system === undefined || system === null) return undefined;
  expect(typeof system === "string" || Array.isArray(system), `${path}: expected a string or an array of text blocks, got ${kindOf(system)}`);
  return contentToText(system);
}
