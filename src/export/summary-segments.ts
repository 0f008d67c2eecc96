import type { Message, Trajectory } from "../records/trajectory.js";
import type { SftConversation, SftMessage } from "./sft.js";

/** One stretch of a trajectory the agent ran in one context: the trajectory cut there, and its conversation. */
export interface SummarySegment {
  trajectory: Trajectory;
  conversation: SftConversation;
}

/**
 * SUPO-style summaries and compactions (`events`: a rollout's summary segments, Claude Code's and Codex's
 * compactions, ATIF's `context_management` steps) replace the agent's context: from the event's message
 * on, the model saw the leading system messages, the summary, and the messages after it, never the ones
 * before. So a trajectory is cut at each event into segments, each a conversation of its own that starts
 * from that context: the leading system messages, then the summary as a user message (unless the
 * segment's first message already holds it, as a rollout's next segment does: task and summary), then
 * the segment's messages. Which turns are trained comes from the whole conversation (`--mask last` stays
 * the trajectory's last turn); a segment with none is left out. Without events, the one segment is the
 * trajectory as it is.
 */
export function summarySegments(t: Trajectory, conversation: SftConversation): SummarySegment[] {
  const cuts = [...new Set(t.events.map((e) => e.message_index))].filter((k) => k > 0 && k < t.messages.length).sort((a, b) => a - b);
  if (cuts.length === 0) return [{ trajectory: t, conversation }];
  const leading = t.messages.findIndex((m) => m.role !== "system");
  const system = leading === -1 ? 0 : Math.min(leading, cuts[0]!);
  const segments: SummarySegment[] = [];
  [0, ...cuts].forEach((from, k) => {
    const to = cuts[k] ?? t.messages.length;
    const train = conversation.train.slice(from, to);
    if (!conversation.trainEverything && !train.some(Boolean)) return;
    const summary = from === 0 ? null : summaryAt(t, from);
    const head = from === 0 ? [] : t.messages.slice(0, system);
    const inserted: Message[] = summary === null ? [] : [{ role: "user", content: summary }];
    const insertedSft: SftMessage[] = summary === null ? [] : [{ role: "user", content: summary }];
    segments.push({
      trajectory: { ...t, messages: [...head, ...inserted, ...t.messages.slice(from, to)], events: [] },
      conversation: {
        ...conversation,
        messages: [...conversation.messages.slice(0, head.length), ...insertedSft, ...conversation.messages.slice(from, to)],
        train: [...conversation.train.slice(0, head.length).map(() => conversation.trainEverything), ...inserted.map(() => conversation.trainEverything), ...train],
      },
    });
  });
  return segments;
}

/** The summary a segment starts from, or null when the log kept none or the segment's first message already holds it. */
function summaryAt(t: Trajectory, index: number): string | null {
  const summary = t.events.filter((e) => e.message_index === index && e.summary !== null && e.summary.trim() !== "").at(-1)?.summary ?? null;
  if (summary === null) return null;
  const first = t.messages[index]!;
  return first.role === "user" && first.content.includes(summary.trim()) ? null : summary;
}
