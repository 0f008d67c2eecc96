import type { Message, ToolCall, ToolMessage } from "../../records/trajectory.js";
import type { DraftMessage } from "../types.js";

/**
 * Gives every tool call a unique id and ties every tool result to its call:
 * by id when the id names exactly one open call, by position when ids are missing or reused
 * (tau-bench reuses them), and `unpaired` when no call is open.
 * A call is open from its assistant message until a result answers it.
 */
export function pairToolCalls(drafts: DraftMessage[]): Message[] {
  const used = new Set<string>();
  let synthesised = 0;
  const open: { call: ToolCall; sourceId: string | null }[] = [];
  const messages: Message[] = [];

  for (const draft of drafts) {
    if (draft.role === "assistant") {
      const tool_calls = draft.tool_calls.map((call): ToolCall => {
        let id: string;
        let id_origin: ToolCall["id_origin"] = "source";
        if (call.id === null || call.id === "") {
          do id = `call_${synthesised++}`;
          while (used.has(id));
          id_origin = "synthesised";
        } else if (used.has(call.id)) {
          let n = 2;
          while (used.has(`${call.id}~${n}`)) n++;
          id = `${call.id}~${n}`;
          id_origin = "deduplicated";
        } else {
          id = call.id;
        }
        used.add(id);
        const paired: ToolCall = { ...call, id, id_origin };
        open.push({ call: paired, sourceId: call.id });
        return paired;
      });
      messages.push({ ...draft, tool_calls });
    } else if (draft.role === "tool") {
      messages.push(pairResult(draft, open));
    } else {
      messages.push(draft);
    }
  }
  return messages;
}

function pairResult(draft: Omit<ToolMessage, "pairing">, open: { call: ToolCall; sourceId: string | null }[]): ToolMessage {
  if (draft.call_id !== null) {
    const byId = open.findIndex((entry) => entry.sourceId === draft.call_id);
    if (byId !== -1) {
      const [entry] = open.splice(byId, 1);
      const call = entry!.call;
      const unique = open.every((other) => other.sourceId !== draft.call_id);
      return { ...draft, call_id: call.id, name: draft.name ?? call.name, pairing: unique ? "id" : "position" };
    }
  }
  const next = open.shift();
  if (next === undefined) return { ...draft, pairing: "unpaired" };
  // The log named a call that is not open: the id it gave is kept beside the one it is paired with.
  const named = draft.call_id !== null && draft.call_id !== next.call.id ? { extra: { ...draft.extra, source_call_id: draft.call_id } } : {};
  return { ...draft, call_id: next.call.id, name: draft.name ?? next.call.name, pairing: "position", ...named };
}
