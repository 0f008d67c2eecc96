import { parseArguments, without } from "../common/text.js";
import { rowsImporter, ShapeError } from "../common/rows.js";
import { hasReActMarkers, parseReAct } from "./parse.js";
import { readTurns, speakersOf, type Turn, turnList } from "../sharegpt/turns.js";
import type { DraftMessage, DraftToolCall, TrajectoryDraft } from "../types.js";

const USER = new Set(["human", "user"]);
const ASSISTANT = new Set(["gpt", "assistant"]);
const OBSERVATION = new Set(["function", "observation", "tool"]);
const SPEAKERS = [...USER, ...ASSISTANT, ...OBSERVATION, "system"];

/**
 * ReAct-text SFT rows (AgentInstruct, ToolLLaMA, Agent-FLAN): `conversations [{from, value}]`,
 * `conversation [{role, content}]` or `messages`, where the assistant writes Thought / Action /
 * Action Input as text. Actions become `text` tool calls; the turn after an action (human, user or
 * function) is its observation.
 */
export const reactTextImporter = rowsImporter({
  format: "react-text",
  description: "ReAct-text SFT rows (AgentInstruct, ToolLLaMA, Agent-FLAN): Thought / Action / Action Input in assistant turns",
  dropRules: [
    {
      path: "/**",
      reason: "structure",
      note: "ReAct labels (Thought:, Action:, Action Input:, Final Answer:) and code fences, parsed into reasoning, calls and the answer",
      markup: /^[ \t]*(?:Thought|Think|THOUGHT|Action Input|Action|Act|Final Answer|Observation):[ \t]*|^[ \t]*```\w*[ \t]*$/,
    },
  ],
  detectRow(row) {
    const found = turnList(row);
    if (found === undefined) return 0;
    const speakers = speakersOf(found.list);
    if (speakers === undefined || !speakers.every((s) => SPEAKERS.includes(s))) return 0;
    const marked = found.list.some((turn, i) => {
      if (!ASSISTANT.has(speakers[i]!)) return false;
      const text = (turn as Record<string, unknown>).value ?? (turn as Record<string, unknown>).content;
      return typeof text === "string" && hasReActMarkers(text);
    });
    return marked ? 0.75 : 0;
  },
  convertRow(row, locator) {
    const found = turnList(row);
    if (found === undefined) throw new ShapeError(`expected a "conversations", "conversation" or "messages" array, got keys ${Object.keys(row).join(", ") || "none"}`);
    const turns = readTurns(found.list, found.key);
    const messages: DraftMessage[] = [];
    let awaitingObservation = false;
    for (const turn of turns) {
      const observed = awaitingObservation && (USER.has(turn.speaker) || OBSERVATION.has(turn.speaker));
      messages.push(observed || OBSERVATION.has(turn.speaker) ? observation(turn) : convertTurn(turn));
      const last = messages[messages.length - 1]!;
      awaitingObservation = last.role === "assistant" && last.tool_calls.length > 0;
    }
    return { locator, messages, ...handshakeTask(turns), extra: without(row, [found.key]) };
  },
});

function convertTurn(turn: Turn): DraftMessage {
  const extra = turn.extra ? { extra: turn.extra } : {};
  if (USER.has(turn.speaker)) return { role: "user", content: turn.text, ...extra };
  if (turn.speaker === "system") return { role: "system", content: turn.text, ...extra };
  if (!ASSISTANT.has(turn.speaker)) throw new ShapeError(`${turn.path}: expected a speaker of ${SPEAKERS.join(", ")}, got ${JSON.stringify(turn.speaker)}`);
  const step = parseReAct(turn.text);
  switch (step.kind) {
    case "text":
      return { role: "assistant", content: turn.text, reasoning: null, tool_calls: [], ...extra };
    case "answer": {
      const returnType = step.returnType !== undefined ? { return_type: step.returnType } : {};
      const merged = { ...turn.extra, ...returnType };
      return {
        role: "assistant",
        content: step.answer,
        reasoning: step.thought,
        tool_calls: [],
        ...(Object.keys(merged).length > 0 ? { extra: merged } : {}),
      };
    }
    case "action":
      return { role: "assistant", content: step.trailing, reasoning: step.thought, tool_calls: [textCall(step.name, step.input)], ...extra };
  }
}

/** The exact input is the raw argument text; JSON-looking input (ToolLLaMA) is parsed too. */
function textCall(name: string, input: string): DraftToolCall {
  const parsed = /^\s*[[{]/.test(input) ? parseArguments(input) : { raw_arguments: input, arguments: null };
  return { id: null, name, type: "text", ...parsed };
}

function observation(turn: Turn): DraftMessage {
  return { role: "tool", call_id: null, name: null, content: turn.text, is_error: false, source_role: turn.speaker, ...(turn.extra ? { extra: turn.extra } : {}) };
}

/**
 * AgentInstruct opens with the protocol as a human turn answered "Ok."; the task is the next human turn,
 * and the protocol is the system prompt.
 */
function handshakeTask(turns: Turn[]): Pick<TrajectoryDraft, "task"> {
  const [protocol, ok, question] = turns;
  if (!protocol || !ok || !question) return {};
  if (!USER.has(protocol.speaker) || !ASSISTANT.has(ok.speaker) || !USER.has(question.speaker)) return {};
  if (!/^\s*ok\.?\s*$/i.test(ok.text)) return {};
  return { task: { question: question.text, question_origin: "extracted_from_template", system_prompt: protocol.text } };
}
