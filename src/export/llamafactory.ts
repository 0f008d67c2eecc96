import { isDeepStrictEqual } from "node:util";
import type { MaskMode, SftConversation, SftMessage } from "./sft.js";
import { parseOr } from "./sft.js";

/**
 * LLaMA-Factory's ShareGPT rows (`formatting: sharegpt`, read by its SharegptDatasetConverter,
 * src/llamafactory/data/converter.py): `human` and `observation` turns at odd positions, `gpt` and
 * `function_call` at even ones, an even count; the system prompt and the tools (a JSON string) in
 * their own columns.
 */
export interface ShareGptTurn {
  from: "human" | "gpt" | "function_call" | "observation";
  value: string;
}

export interface LlamaFactoryRow {
  id: string;
  conversations: ShareGptTurn[];
  system: string;
  tools: string;
}

/** The `dataset_info.json` entry that reads these rows (LLaMA-Factory's data/README.md, sharegpt). */
export function llamaFactoryDatasetInfo(dataFile: string): Record<string, unknown> {
  return { acc_trajectories: { file_name: dataFile, formatting: "sharegpt", columns: { messages: "conversations", system: "system", tools: "tools" } } };
}

/**
 * What LLaMA-Factory needs told to train the turns `--mask` asks for: it trains every gpt and
 * function_call turn unless `mask_history` (the last turn only) or `train_on_prompt` (everything).
 */
export const LLAMAFACTORY_TRAINING: Record<MaskMode, string | undefined> = {
  assistant: undefined,
  last: "mask_history: true",
  final: "mask_history: true",
  none: "train_on_prompt: true",
};

/** LLaMA-Factory's default thought and tool-call words (template.py `register_template`), which its Qwen, GLM and DeepSeek templates keep. */
const THINK_OPEN = "<think>\n";
const THINK_CLOSE = "\n</think>\n\n";
const CALL_OPEN = "<tool_call>";
const CALL_CLOSE = "</tool_call>";

type Result = { ok: true; row: LlamaFactoryRow } | { ok: false; reason: string };

/**
 * A conversation as one LLaMA-Factory row. Leading system messages fill `system`; consecutive
 * user-side messages (user, tool, later system) become one turn, `observation` when it starts with a
 * tool result, else `human`, their texts joined by a blank line; consecutive assistant messages
 * become one turn. An assistant turn with calls is `function_call`: the calls as LLaMA-Factory's
 * FunctionFormatter reads them (`{"name", "arguments"}`, a list when parallel), after its text inside
 * `<tool_call>…</tool_call>` when it has text. Reasoning (`think`) is `<think>\n…\n</think>\n\n`
 * before the value, as LLaMA-Factory's ReasoningTemplate expects. The row ends at the last trained
 * assistant turn (later messages train nothing); masks it cannot express are refused.
 */
export function llamaFactoryRow(id: string, conversation: SftConversation, mask: MaskMode, reasoning: "think" | "none"): Result {
  const { messages, train } = conversation;
  const untrained = messages.filter((m, i) => m.role === "assistant" && !train[i]).length;
  if (mask === "assistant" && untrained > 0) {
    return { ok: false, reason: `trajectory ${id} has ${untrained} assistant turns copied from an earlier trajectory (ATIF is_copied_context), which LLaMA-Factory would train as its own; export it with --mask last (mask_history: true trains the last turn only)` };
  }
  const end = messages.findLastIndex((m, i) => m.role === "assistant" && train[i]);
  let start = 0;
  const systems: string[] = [];
  while (start < messages.length && messages[start]!.role === "system") systems.push(messages[start++]!.content);
  const turns: ShareGptTurn[] = [];
  for (let i = start; i <= end; ) {
    const assistant = messages[i]!.role === "assistant";
    let j = i;
    while (j <= end && (messages[j]!.role === "assistant") === assistant) j++;
    const group = messages.slice(i, j);
    if (assistant) {
      if (turns.length === 0) return { ok: false, reason: `trajectory ${id} starts with an assistant turn; LLaMA-Factory's ShareGPT rows start with a human turn` };
      const turn = assistantTurn(group, reasoning);
      if (typeof turn === "string") return { ok: false, reason: `trajectory ${id}, message ${i}: ${turn}` };
      turns.push(turn);
    } else {
      turns.push({ from: group[0]!.role === "tool" ? "observation" : "human", value: group.map((m) => m.content).join("\n\n") });
    }
    i = j;
  }
  return { ok: true, row: { id, conversations: turns, system: systems.join("\n\n"), tools: JSON.stringify(conversation.tools.map(lfTool)) } };
}

function assistantTurn(group: SftMessage[], reasoning: "think" | "none"): ShareGptTurn | string {
  const thoughts = reasoning === "think" ? group.flatMap((m) => (m.reasoning_content ? [m.reasoning_content] : [])) : [];
  const think = thoughts.length > 0 ? `${THINK_OPEN}${thoughts.join("\n\n")}${THINK_CLOSE}` : "";
  const text = group.flatMap((m) => (m.content ? [m.content] : [])).join("\n\n");
  const calls = group.flatMap((m) => m.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: parseOr(c.function.arguments) }));
  if (calls.length === 0) return { from: "gpt", value: `${think}${text}` };
  const json = JSON.stringify(calls.length === 1 ? calls[0] : calls);
  const value = text ? `${think}${text}${CALL_OPEN}${json}${CALL_CLOSE}` : `${think}${json}`;
  // The check that the value reads back: text or reasoning holding LLaMA-Factory's own markers would be misread.
  if (!isDeepStrictEqual(readFunctionCalls(value), calls)) return `its text or reasoning holds ${CALL_OPEN} or </think>, so LLaMA-Factory would misread the tool calls of this turn`;
  return { from: "function_call", value };
}

/**
 * The calls LLaMA-Factory's FunctionFormatter.apply finds in a function_call value (default thought
 * and tool-call words): the JSON inside the first `<tool_call>…</tool_call>`, else the value without
 * its `<think>` block; undefined where it would raise.
 */
export function readFunctionCalls(value: string): { name: unknown; arguments: unknown }[] | undefined {
  const call = new RegExp(`${CALL_OPEN}([\\s\\S]*?)${CALL_CLOSE}`).exec(value);
  let json = call?.[1];
  if (json === undefined) {
    const thought = new RegExp(`${THINK_OPEN}([\\s\\S]*?)${THINK_CLOSE}`).exec(value);
    json = thought ? value.split(thought[0]).join("") : value;
  }
  try {
    const parsed: unknown = JSON.parse(json);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((c: { name: unknown; arguments: unknown }) => ({ name: c.name, arguments: c.arguments }));
  } catch {
    return undefined;
  }
}

/**
 * A tool as LLaMA-Factory's own datasets write it (data/glaive_toolcall_en_demo.json): the function
 * object `{name, description, parameters}`; its default tool formatter reads `parameters.properties`,
 * so a tool without them gets an empty object schema.
 */
function lfTool(tool: Record<string, unknown>): Record<string, unknown> {
  const fn = (tool.type === "function" && typeof tool.function === "object" && tool.function !== null ? tool.function : tool) as { parameters?: { properties?: unknown } };
  if (fn.parameters !== undefined && fn.parameters.properties !== undefined) return fn;
  return { ...fn, parameters: { type: "object", ...fn.parameters, properties: {} } };
}
