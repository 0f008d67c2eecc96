import type { ImportWarning } from "../../records/import-warning.js";
import { argumentsOf, splitReasoning, THINK_MARKUP } from "../common/openai-messages.js";
import { expect, kindOf, rowsImporter, ShapeError } from "../common/rows.js";
import { isRecord, without } from "../common/text.js";
import { readTools } from "../openai-chat.js";
import { got, readTurns, speakersOf, type Turn, turnList } from "./turns.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

const USER = new Set(["human", "user"]);
const ASSISTANT = new Set(["gpt", "assistant"]);
const TOOL_TURNS = new Set(["function_call", "observation"]);
const SPEAKERS = new Set([...USER, ...ASSISTANT, ...TOOL_TURNS, "system", "tool"]);

/**
 * ShareGPT / LLaMA-Factory rows: `{conversations: [{from, value}], tools?, system?}` (or `messages` with
 * `{role, content}`). `function_call` turns hold JSON `{name, arguments}` (or a list of them for parallel
 * calls); `observation` turns are the results, paired with the calls by position.
 */
export const sharegptImporter = rowsImporter({
  format: "sharegpt",
  description: "ShareGPT / LLaMA-Factory rows: conversations [{from, value}] with function_call / observation turns, tools, system",
  dropRules: [THINK_MARKUP],
  detectRow(row) {
    const found = turnList(row);
    if (found === undefined || found.list.length === 0) return 0;
    const speakers = speakersOf(found.list);
    if (speakers === undefined || !speakers.every((s) => SPEAKERS.has(s))) return 0;
    // Turns hold text; content as typed parts (reasoning, tool-call parts) is OpenAI chat's shape.
    if (!found.list.every((turn) => typeof textOf(turn) === "string" || textOf(turn) === null)) return 0;
    const toolRow = speakers.some((s) => TOOL_TURNS.has(s)) || typeof row.tools === "string";
    if (toolRow) return 0.7;
    // Plain {role, content} messages are OpenAI chat's; plain {from, value} conversations are ShareGPT's.
    return found.key === "messages" ? 0 : 0.5;
  },
  convertRow(row, locator) {
    const found = turnList(row);
    expect(found !== undefined, `expected a "conversations" (or "messages") array, got keys ${Object.keys(row).join(", ") || "none"}`);
    expect(row.system === undefined || typeof row.system === "string", `system: expected a string, got ${kindOf(row.system)}`);
    const warnings: ImportWarning[] = [];
    const tools = readTools(row.tools, warnings);
    const messages: DraftMessage[] = typeof row.system === "string" ? [{ role: "system", content: row.system }] : [];
    for (const turn of readTurns(found.list, found.key)) messages.push(convertTurn(turn));
    // Tools that could not be read stay in extra verbatim.
    const mapped = tools === undefined ? [found.key, "system"] : [found.key, "system", "tools"];
    return {
      locator,
      messages,
      ...(tools ? { tools } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      extra: without(row, mapped),
    };
  },
});

function convertTurn(turn: Turn): DraftMessage {
  const extra = turn.extra ? { extra: turn.extra } : {};
  const sourceRole = { source_role: turn.speaker };
  if (USER.has(turn.speaker)) return { role: "user", content: turn.text, ...extra };
  if (turn.speaker === "system") return { role: "system", content: turn.text, ...extra };
  if (ASSISTANT.has(turn.speaker)) {
    const { content, reasoning } = splitReasoning({}, turn.text);
    return { role: "assistant", content, reasoning, tool_calls: [], ...extra };
  }
  if (turn.speaker === "function_call") {
    return { role: "assistant", content: null, reasoning: null, tool_calls: parseCalls(turn), ...sourceRole, ...extra };
  }
  if (turn.speaker === "observation" || turn.speaker === "tool") {
    return { role: "tool", call_id: null, name: null, content: turn.text, is_error: false, ...sourceRole, ...extra };
  }
  throw new ShapeError(`${turn.path}: expected a speaker of ${[...SPEAKERS].join(", ")}, got ${JSON.stringify(turn.speaker)}`);
}

/** A function_call turn's value: JSON `{name, arguments}` or a list of them. */
function parseCalls(turn: Turn): DraftToolCall[] {
  let value: unknown;
  try {
    value = JSON.parse(turn.text);
  } catch (error) {
    throw new ShapeError(`${turn.path}: a function_call value must be JSON {name, arguments}: ${(error as Error).message}`);
  }
  const calls = Array.isArray(value) ? value : [value];
  expect(calls.length > 0, `${turn.path}: a function_call value must name at least one call`);
  return calls.map((call, i) => {
    const at = Array.isArray(value) ? `${turn.path} call ${i}` : turn.path;
    expect(isRecord(call), `${at}: expected JSON {name, arguments}, got ${kindOf(call)}`);
    expect(typeof call.name === "string", `${at}: the call's name: expected a string, got ${got(call.name)}`);
    return { id: null, name: call.name, type: "function", ...argumentsOf(call.arguments) };
  });
}

function textOf(turn: unknown): unknown {
  return isRecord(turn) ? (turn.value ?? turn.content) : undefined;
}
