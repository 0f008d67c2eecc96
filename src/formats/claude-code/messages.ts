import type { TrajectoryEvent } from "../../records/trajectory.js";
import { appendTo, contentToText, isRecord, without } from "../common/text.js";
import type { SessionNode } from "./lines.js";
import type { DraftMessage, DraftToolCall } from "../types.js";

type AssistantDraft = Extract<DraftMessage, { role: "assistant" }>;
type ToolDraft = Extract<DraftMessage, { role: "tool" }>;

/** Fields every line repeats; they live once on the trajectory and on a message only when they change. */
export const SESSION_FIELDS = ["sessionId", "version", "cwd", "gitBranch", "slug", "userType", "agentId", "isSidechain"] as const;

/** Line fields that the messages map (the rest of a line goes to the message's `extra`). */
const MAPPED_LINE_FIELDS = [
  "type",
  "uuid",
  "parentUuid",
  "logicalParentUuid",
  "message",
  "timestamp",
  "toolUseResult",
  "sourceToolAssistantUUID",
  "isCompactSummary",
  ...SESSION_FIELDS,
];

export interface SessionMessages {
  messages: DraftMessage[];
  events: TrajectoryEvent[];
  /** The model of the first real (not `<synthetic>`) assistant message; messages name theirs only when it differs. */
  model: string | undefined;
}

interface OpenAssistant {
  draft: AssistantDraft;
  texts: string[];
  thoughts: string[];
  seenBlocks: Set<string>;
}

/**
 * Turns the conversation's lines into draft messages and compaction events:
 * - assistant lines that share `message.id` merge into one message at the place of the first one
 *   (text → content, thinking → reasoning, tool_use → calls; a block stored twice is kept once);
 * - tool_result blocks of user lines become `tool` messages (`source_role: "user"`), with the line's
 *   `toolUseResult` in `extra`; other user blocks stay a user message;
 * - a compact_boundary and the `isCompactSummary` user line after it become one compaction event, and
 *   every message before the last compaction is marked `in_context: false`.
 */
export function buildMessages(nodes: SessionNode[], session: Record<string, unknown>): SessionMessages {
  const messages: DraftMessage[] = [];
  const events: TrajectoryEvent[] = [];
  const assistants = new Map<string, OpenAssistant>();
  let model: string | undefined;

  for (const node of nodes) {
    const record = node.record;
    if (record === undefined) continue;
    const timestamp = typeof record.timestamp === "string" ? { timestamp: record.timestamp } : {};
    if (node.kind === "boundary") {
      events.push(boundaryEvent(record, messages.length));
      continue;
    }
    const message = record.message as Record<string, unknown>;
    const lineExtra = extraOfLine(record, session);
    if (node.kind === "assistant") {
      const open = openAssistant(assistants, message, node, messages, timestamp);
      addAssistantLine(open, message, lineExtra, messages);
      if (model === undefined && typeof message.model === "string" && message.model !== "<synthetic>") model = message.model;
      continue;
    }
    if (record.isCompactSummary === true) {
      const summary = contentToText(message.content);
      const pending = events.at(-1);
      if (pending !== undefined && pending.message_index === messages.length && pending.summary === null) pending.summary = summary;
      else events.push({ kind: "compaction", message_index: messages.length, marker: "isCompactSummary", summary, ...timestamp });
      continue;
    }
    messages.push(...userLineMessages(record, message, node, lineExtra, timestamp));
  }

  for (const open of assistants.values()) {
    if (open.draft.model === model) delete open.draft.model;
    open.draft.content = open.texts.length > 0 ? open.texts.join("\n\n") : null;
    open.draft.reasoning = open.thoughts.length > 0 ? open.thoughts.join("\n\n") : null;
    if (open.draft.extra !== undefined && Object.keys(open.draft.extra).length === 0) delete open.draft.extra;
  }
  const lastCompaction = events.at(-1)?.message_index ?? 0;
  for (let i = 0; i < lastCompaction; i++) messages[i]!.in_context = false;
  return { messages, events, model };
}

function boundaryEvent(record: Record<string, unknown>, messageIndex: number): TrajectoryEvent {
  const meta = isRecord(record.compactMetadata) ? record.compactMetadata : {};
  const tokens = meta.preTokens;
  return {
    kind: "compaction",
    message_index: messageIndex,
    marker: "compact_boundary",
    summary: null,
    ...(typeof meta.trigger === "string" ? { trigger: meta.trigger } : {}),
    ...(typeof tokens === "number" && Number.isInteger(tokens) && tokens >= 0 ? { tokens_before: tokens } : {}),
    ...(typeof record.timestamp === "string" ? { timestamp: record.timestamp } : {}),
  };
}

/** The assistant message this line adds to: the one with its `message.id`, or a new one at this place. */
function openAssistant(
  assistants: Map<string, OpenAssistant>,
  message: Record<string, unknown>,
  node: SessionNode,
  messages: DraftMessage[],
  timestamp: { timestamp?: string },
): OpenAssistant {
  const key = typeof message.id === "string" ? message.id : `line:${node.line}`;
  const existing = assistants.get(key);
  if (existing !== undefined) return existing;
  const draft: AssistantDraft = {
    role: "assistant",
    content: null,
    reasoning: null,
    tool_calls: [],
    ...(typeof message.model === "string" ? { model: message.model } : {}),
    source_id: typeof message.id === "string" ? message.id : (node.uuid ?? `line ${node.line}`),
    ...timestamp,
    extra: {},
  };
  const open: OpenAssistant = { draft, texts: [], thoughts: [], seenBlocks: new Set() };
  assistants.set(key, open);
  messages.push(draft);
  return open;
}

const MAPPED_MESSAGE_FIELDS = ["id", "type", "role", "content", "model"];

function addAssistantLine(open: OpenAssistant, message: Record<string, unknown>, lineExtra: Record<string, unknown>, messages: DraftMessage[]): void {
  const extra = open.draft.extra!;
  // Later lines of a message carry the final usage and stop reason; null fields carry nothing.
  for (const [key, value] of Object.entries({ ...without(message, MAPPED_MESSAGE_FIELDS), ...lineExtra })) {
    if (value !== null) extra[key] = value;
  }
  const content = typeof message.content === "string" ? [{ type: "text", text: message.content }] : (message.content as Record<string, unknown>[]);
  for (const block of content) {
    const key = JSON.stringify(block);
    if (open.seenBlocks.has(key)) continue;
    open.seenBlocks.add(key);
    addAssistantBlock(open, block, messages);
  }
}

function addAssistantBlock(open: OpenAssistant, block: Record<string, unknown>, messages: DraftMessage[]): void {
  const extra = open.draft.extra!;
  switch (block.type) {
    case "text": {
      const text = typeof block.text === "string" ? block.text : contentToText(block.text);
      // Claude often opens a message with a text block of bare newlines; it carries nothing.
      if (text.trim() !== "") open.texts.push(text);
      return;
    }
    case "thinking":
      if (typeof block.thinking === "string") open.thoughts.push(block.thinking);
      if (typeof block.signature === "string") appendTo(extra, "thinking_signatures", block.signature);
      return;
    case "redacted_thinking":
      appendTo(extra, "redacted_thinking", block.data);
      return;
    case "tool_use":
    case "server_tool_use":
      open.draft.tool_calls.push(toolCall(block));
      {
        const rest = without(block, ["type", "id", "name", "input"]);
        if (Object.keys(rest).length > 0 && typeof block.id === "string") {
          const fields = isRecord(extra.tool_use_fields) ? extra.tool_use_fields : {};
          extra.tool_use_fields = { ...fields, [block.id]: rest };
        }
      }
      return;
    default:
      if (typeof block.type === "string" && block.type.endsWith("_tool_result")) {
        // Server tools (web search, code execution) keep their result inside the assistant message.
        messages.push(serverResult(block));
        return;
      }
      appendTo(extra, "other_blocks", block);
  }
}

function toolCall(block: Record<string, unknown>): DraftToolCall {
  return {
    id: typeof block.id === "string" ? block.id : null,
    name: typeof block.name === "string" ? block.name : "",
    raw_arguments: null,
    arguments: block.input ?? null,
    type: block.type === "server_tool_use" ? "server" : "function",
  };
}

function serverResult(block: Record<string, unknown>): ToolDraft {
  const rest = without(block, ["type", "tool_use_id", "content"]);
  return {
    role: "tool",
    call_id: typeof block.tool_use_id === "string" ? block.tool_use_id : null,
    name: null,
    content: contentToText(block.content),
    is_error: isRecord(block.content) && typeof block.content.error_code === "string",
    source_role: "assistant",
    extra: { block_type: block.type, ...rest },
  };
}

/** A user line: tool results become tool messages; the other blocks, in their order, user messages. */
function userLineMessages(
  record: Record<string, unknown>,
  message: Record<string, unknown>,
  node: SessionNode,
  lineExtra: Record<string, unknown>,
  timestamp: { timestamp?: string },
): DraftMessage[] {
  const common = { ...timestamp, ...(node.uuid !== undefined ? { source_id: node.uuid } : {}) };
  const content = message.content;
  const messageExtra = { ...without(message, ["role", "content"]), ...lineExtra };
  if (typeof content === "string") {
    return [{ role: "user", content, ...common, ...nonEmpty(messageExtra) }];
  }
  const out: DraftMessage[] = [];
  let pendingUser: unknown[] = [];
  let lineExtraPlaced = false;
  const placeExtra = (extra: Record<string, unknown>): Record<string, unknown> => {
    if (lineExtraPlaced) return extra;
    lineExtraPlaced = true;
    const toolUseResult = record.toolUseResult !== undefined ? { toolUseResult: record.toolUseResult } : {};
    return { ...messageExtra, ...toolUseResult, ...extra };
  };
  const flushUser = () => {
    if (pendingUser.length === 0) return;
    out.push({ role: "user", content: contentToText(pendingUser), ...common, ...nonEmpty(placeExtra({})) });
    pendingUser = [];
  };
  for (const block of content as Record<string, unknown>[]) {
    if (block.type !== "tool_result") {
      pendingUser.push(block);
      continue;
    }
    flushUser();
    out.push({
      role: "tool",
      call_id: typeof block.tool_use_id === "string" ? block.tool_use_id : null,
      name: null,
      content: contentToText(block.content),
      is_error: block.is_error === true,
      source_role: "user",
      ...common,
      ...nonEmpty(placeExtra(without(block, ["type", "tool_use_id", "content", "is_error"]))),
    });
  }
  flushUser();
  return out;
}

/** The line's own fields the messages do not map, plus session fields that differ from the session's. */
function extraOfLine(record: Record<string, unknown>, session: Record<string, unknown>): Record<string, unknown> {
  const extra = without(record, MAPPED_LINE_FIELDS);
  for (const field of SESSION_FIELDS) {
    if (field in record && record[field] !== session[field]) extra[field] = record[field];
  }
  return extra;
}

function nonEmpty(extra: Record<string, unknown>): { extra?: Record<string, unknown> } {
  return Object.keys(extra).length > 0 ? { extra } : {};
}
