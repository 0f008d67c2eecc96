import { parseArguments } from "../common/text.js";
import type { DraftToolCall } from "../types.js";

const BLOCK = /<use_mcp_tool>([\s\S]*?)<\/use_mcp_tool>/g;
const SERVER = /<server_name>([\s\S]*?)<\/server_name>/;
const TOOL = /<tool_name>([\s\S]*?)<\/tool_name>/;
const ARGUMENTS = /<arguments>([\s\S]*?)<\/arguments>/;

/**
 * Takes the `<use_mcp_tool>` blocks out of an assistant text: each becomes a text tool call named
 * `<server_name>/<tool_name>` whose raw arguments are the `<arguments>` body, verbatim (parsed when it is JSON).
 * A block without a tool name is not a call MiroFlow could run, so it stays in the text.
 */
export function splitMcpToolBlocks(text: string): { text: string; calls: DraftToolCall[] } {
  const calls: DraftToolCall[] = [];
  const rest = text.replace(BLOCK, (block, body: string) => {
    const tool = TOOL.exec(body)?.[1]?.trim();
    if (!tool) return block;
    const server = SERVER.exec(body)?.[1]?.trim();
    const raw = ARGUMENTS.exec(body)?.[1] ?? "";
    calls.push({
      id: null,
      name: server ? `${server}/${tool}` : tool,
      type: "text",
      ...(raw.trim() === "" ? { raw_arguments: raw, arguments: null } : parseArguments(raw)),
    });
    return "";
  });
  return { text: rest, calls };
}
