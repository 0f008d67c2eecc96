/** What one ReAct-formatted assistant turn says: a tool action, a final answer, or plain text. */
export type ReActStep =
  | { kind: "action"; thought: string | null; name: string; input: string; trailing: string | null }
  | { kind: "answer"; thought: string | null; answer: string | null; returnType?: string }
  | { kind: "text" };

const ACTION = /^[ \t]*(?:Action|Act):[ \t]*(.*)$/m;
const ACTION_INPUT = /^\s*Action Input:[ \t]*/;
const FENCE = /^\s*```[^\n]*\n([\s\S]*?)\n?[ \t]*```/;
const FINAL_ANSWER = /^[ \t]*Final Answer:[ \t]*/m;
const THOUGHT_LABEL = /^\s*(?:Thought|Think|THOUGHT):[ \t]*/;
/** A model sometimes writes the observation it expects after the input; it is not part of the input. */
const OBSERVATION = /\n[ \t]*Observation:/;
const CALL_SYNTAX = /^([\w.-]+)\s*[([]([\s\S]*)[)\]]$/;

/** True when the text carries ReAct markers: Action + Action Input, Action: Operation + a code fence, Act:, or Thought … Action / Final Answer. */
export function hasReActMarkers(text: string): boolean {
  return (
    /^[ \t]*Action:[ \t]*\S.*\n\s*Action Input:/m.test(text) ||
    /^[ \t]*Action:[ \t]*(?:Operation\s*\n\s*```|Answer\b)/m.test(text) ||
    /^[ \t]*Act:[ \t]*(?:bash\s*\n\s*```|answer\(|finish\b)/m.test(text) ||
    /^[ \t]*Thought:[\s\S]*^[ \t]*(?:Action|Final Answer):/m.test(text)
  );
}

/**
 * Reads one assistant turn. The input of an action is kept exactly (trimmed): the text after
 * `Action Input:`, or the body of the code fence after `Action: Operation` / `Act: bash`.
 * `Finish` (ToolBench), `Action: Answer` (AgentInstruct DB), `Act: answer(…)` / `Act: finish`
 * (AgentInstruct OS) and a bare `Final Answer:` are final answers.
 */
export function parseReAct(text: string): ReActStep {
  const action = ACTION.exec(text);
  if (action === null) {
    const final = FINAL_ANSWER.exec(text);
    if (final === null) return { kind: "text" };
    return { kind: "answer", thought: thoughtOf(text.slice(0, final.index)), answer: text.slice(final.index + final[0].length).trim() };
  }
  const thought = thoughtOf(text.slice(0, action.index));
  let header = action[1]!.trim();
  let after = text.slice(action.index + action[0].length);
  if (header === "") {
    // `Action:` alone on its line, the action on the next (WebShop style).
    const next = /^\s*(.*)/.exec(after)!;
    header = next[1]!.trim();
    after = after.slice(next[0].length);
  }
  const inputMatch = ACTION_INPUT.exec(after);
  const input = inputMatch ? after.slice(inputMatch[0].length).split(OBSERVATION)[0]!.trim() : undefined;
  const lower = header.toLowerCase();

  if (lower === "finish") return { kind: "answer", thought, ...finishAnswer(input) };
  if (lower === "answer") {
    const final = FINAL_ANSWER.exec(after);
    return { kind: "answer", thought, answer: (final ? after.slice(final.index + final[0].length) : after).trim() };
  }
  const answerCall = /^answer\(([\s\S]*)\)$/.exec(header);
  if (answerCall) return { kind: "answer", thought, answer: answerCall[1]!.trim() };

  const fence = FENCE.exec(after);
  if (fence) {
    const trailing = after.slice(fence[0].length).trim();
    return { kind: "action", thought, name: header, input: fence[1]!, trailing: trailing === "" ? null : trailing };
  }
  if (input !== undefined) return { kind: "action", thought, name: header, input, trailing: null };
  const call = CALL_SYNTAX.exec(header);
  return { kind: "action", thought, name: call ? call[1]! : header, input: call ? call[2]! : "", trailing: null };
}

function thoughtOf(text: string): string | null {
  const thought = text.replace(THOUGHT_LABEL, "").trim();
  return thought === "" ? null : thought;
}

/** ToolBench's Finish input: `{"return_type": "give_answer", "final_answer": "…"}`; give_up_and_restart has no answer. */
function finishAnswer(input: string | undefined): { answer: string | null; returnType?: string } {
  if (input === undefined || input === "") return { answer: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    return { answer: input };
  }
  if (parsed === null || typeof parsed !== "object") return { answer: input };
  const { final_answer, return_type } = parsed as Record<string, unknown>;
  return {
    answer: typeof final_answer === "string" ? final_answer : return_type === undefined ? input : null,
    ...(typeof return_type === "string" ? { returnType: return_type } : {}),
  };
}
