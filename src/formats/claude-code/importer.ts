import type { ImportWarning } from "../../records/import-warning.js";
import { IMAGE_BYTES } from "../anthropic/blocks.js";
import { asString, isRecord } from "../common/text.js";
import type { SubagentLink } from "../../records/trajectory.js";
import { trajectoryId } from "../common/finish.js";
import { type Conversation, selectConversation } from "./chain.js";
import { type InlineAgent, inlineAgents } from "./inline.js";
import { readSessionLines, type SessionLines, type SessionNode } from "./lines.js";
import { buildMessages, SESSION_FIELDS } from "./messages.js";
import { taskQuestion } from "./question.js";
import { agentTypeOf, FORMAT, parentSessionFile, sessionTrajectoryId, subagentLinks } from "./subagents.js";
import type { DraftMessage, DropRule, ImportInput, ImportItem, Importer, Probe, TrajectoryDraft } from "../types.js";

const TREE_TYPES = new Set(["user", "assistant", "progress", "system", "attachment"]);

/**
 * Claude Code sessions (`~/.claude/projects/<project>/<sessionId>.jsonl`) and their sub-agent files
 * (`<sessionId>/subagents/agent-<id>.jsonl`): one file is one conversation, one trajectory.
 */
export const claudeCodeImporter: Importer = {
  format: FORMAT,
  description: "Claude Code session JSONL (uuid/parentUuid tree, per-block assistant lines, compaction, sub-agent files)",
  dropRules: [
    { path: "/{type=progress}/data/{type=agent_progress}/**", reason: "duplicate", note: "a sub-agent's messages streamed while it ran; imported from the sub-agent's own lines" },
    { path: "/{type=progress}/data/{type=bash_progress}/*", reason: "duplicate", note: "a running command's output so far; its tool result holds the output" },
    { path: "/{type=progress}/**", reason: "bookkeeping", note: "progress lines: hook runs, streamed command output, waits" },
    { path: "/{type=file-history-snapshot}/**", reason: "bookkeeping", note: "file backups kept for undo" },
    { path: "/{type=queue-operation}/**", reason: "bookkeeping", note: "input queued while the agent worked" },
    { path: "/{subtype=turn_duration|stop_hook_summary}/**", reason: "bookkeeping", note: "turn timings and hook reports" },
    { path: "/{subtype=compact_boundary}/*", reason: "noise", note: "the compaction boundary's fixed status text" },
    { path: "/uuid", reason: "structure", note: "uuid tree links, resolved into message order (a user line's uuid is its source_id)" },
    { path: "/parentUuid", reason: "structure", note: "uuid tree links, resolved into message order" },
    { path: "/logicalParentUuid", reason: "structure", note: "uuid tree links, resolved into message order" },
    { path: "/sourceToolAssistantUUID", reason: "structure", note: "uuid tree links, resolved into message order" },
    { path: "/timestamp", reason: "bookkeeping", note: "the time of each later line of a message the first line's time stands for" },
    IMAGE_BYTES,
  ] satisfies DropRule[],
  detect(probe: Probe): number {
    if (probe.container !== "jsonl") return 0;
    return probe.head.some((entry) => "value" in entry && isSessionLine(entry.value)) ? 0.9 : 0;
  },
  async *read(input: ImportInput): AsyncIterable<ImportItem> {
    if (input.container === "directory") return;
    if (input.container === "json") {
      yield { kind: "reject", locator: { json_pointer: "" }, scope: "record", code: "wrong-shape", reason: "a Claude Code session is JSONL, not one JSON document" };
      return;
    }
    const lines = await readSessionLines(input.lines);
    yield* lines.rejects;
    yield* sessionItems(input.file, lines);
  },
};

function isSessionLine(value: unknown): boolean {
  if (!isRecord(value) || typeof value.type !== "string") return false;
  if (TREE_TYPES.has(value.type)) return typeof value.sessionId === "string" && typeof value.uuid === "string" && "parentUuid" in value;
  if (value.type === "file-history-snapshot") return "snapshot" in value && "messageId" in value;
  if (value.type === "summary") return typeof value.leafUuid === "string";
  return false;
}

/**
 * The session's trajectory, then one per sub-agent whose lines the file holds inline (older Claude Code
 * wrote a Task's sidechain into the session file), each linked both ways with the Task call that started it.
 */
function sessionItems(file: string, lines: SessionLines): ImportItem[] {
  const conversation = selectConversation(lines.nodes);
  const main = conversationDraft(conversation);
  if (main.messages.length === 0) {
    const reason = `no conversation: no user or assistant message in ${lines.lastLine} lines${describeSkipped(lines.skipped)}`;
    return [{ kind: "reject", locator: {}, scope: "record", code: "wrong-shape", reason }];
  }
  const { session, messages, warnings } = main;
  const isSubagent = session.isSidechain === true;
  const agents = isSubagent || conversation.otherSide.length === 0 ? [] : inlineAgents(conversation.otherSide, messages);
  const subagents = agents.map((agent, index) => inlineAgentDraft(file, agent, index, messages));
  if (isSubagent && conversation.dropped.otherSide > 0) {
    warnings.push({ code: "other-session-lines", message: `dropped ${conversation.dropped.otherSide} main-session message lines stored in this file`, count: conversation.dropped.otherSide });
  }
  if (subagents.length > 0) {
    warnings.push({
      code: "sidechain-subagents",
      message: `imported ${conversation.dropped.otherSide} sidechain message lines stored in this file as ${subagents.length} sub-agent trajectories`,
      count: conversation.dropped.otherSide,
    });
  }
  if (lines.duplicateUuids > 0) {
    warnings.push({ code: "duplicate-lines", message: `dropped ${lines.duplicateUuids} lines whose uuid an earlier line already had`, count: lines.duplicateUuids });
  }

  const parentFile = isSubagent ? parentSessionFile(file, asString(session.sessionId)) : undefined;
  const agentType = typeof session.agentId === "string" ? agentTypeOf(session.agentId) : undefined;
  const inlineIds = new Set(agents.flatMap((agent) => (agent.agentId !== undefined ? [agent.agentId] : [])));
  const fileLinks = subagentLinks(file, messages, lines.agentProgress, inlineIds);
  const { version, ...sessionExtra } = session;
  const sessionDraft: TrajectoryDraft = {
    locator: { line: 1, line_end: Math.max(1, lines.lastLine) },
    ...(typeof version === "string" ? { format_version: version } : {}),
    ...(main.model !== undefined ? { model: main.model } : {}),
    task: taskQuestion(messages),
    messages,
    events: main.events,
    subagents: [...fileLinks, ...subagents.map((sub) => sub.link)],
    ...(parentFile !== undefined ? { parent: { trajectory_id: sessionTrajectoryId(parentFile) } } : {}),
    warnings,
    extra: {
      ...sessionExtra,
      ...(isSubagent && agentType !== undefined ? { agent_type: agentType } : {}),
      skipped_lines: lines.skipped,
    },
  };
  return [{ kind: "trajectory", draft: sessionDraft }, ...subagents.map((sub): ImportItem => ({ kind: "trajectory", draft: sub.draft }))];
}

/** A chain of lines as messages and events, with the warnings about what the chain left out. */
function conversationDraft(conversation: Conversation) {
  const session = sessionFields(conversation.nodes);
  const { messages, events, model } = buildMessages(conversation.nodes, session);
  const warnings: ImportWarning[] = [];
  const { branches } = conversation.dropped;
  if (branches.length > 0) {
    const dropped = branches.reduce((n, branch) => n + branch.messages, 0);
    const starts = branches.slice(0, 10).map((branch) => branch.line).join(", ");
    warnings.push({
      code: "abandoned-branches",
      message: `dropped ${dropped} message lines on ${branches.length} abandoned branches (rewinds) off the uuid chain that ends at the last message, starting at line ${starts}${branches.length > 10 ? ", …" : ""}`,
      count: dropped,
      line: branches[0]!.line,
    });
  }
  return { session, messages, events, model, warnings };
}

/** A sub-agent stored inline: its own trajectory (`index` tells it from the session's), and the session's link to it. */
function inlineAgentDraft(file: string, agent: InlineAgent, index: number, sessionMessages: DraftMessage[]): { draft: TrajectoryDraft; link: SubagentLink } {
  const conversation = selectConversation(agent.nodes);
  const { session, messages, events, model, warnings } = conversationDraft(conversation);
  const lines = agent.nodes.map((node) => node.line);
  const locator = { line: Math.min(...lines), line_end: Math.max(...lines), index };
  const call = sessionMessages.flatMap((m) => (m.role === "assistant" ? m.tool_calls : [])).find((c) => c.id === agent.callId);
  const agentType = isRecord(call?.arguments) && typeof call.arguments.subagent_type === "string" ? call.arguments.subagent_type : undefined;
  if (agent.callId === undefined) {
    warnings.push({ code: "unlinked-subagent", message: "no Task call of the session could be tied to this sub-agent (no agent id, prompt or running call matched)" });
  }
  const id = trajectoryId(FORMAT, file, locator);
  const { version, ...sessionExtra } = session;
  const draft: TrajectoryDraft = {
    locator,
    ...(typeof version === "string" ? { format_version: version } : {}),
    ...(model !== undefined ? { model } : {}),
    task: taskQuestion(messages),
    messages,
    events,
    parent: { trajectory_id: sessionTrajectoryId(file), ...(agent.callId !== undefined ? { call_id: agent.callId } : {}) },
    warnings,
    extra: {
      ...sessionExtra,
      stored: "inline",
      ...(agentType !== undefined ? { agent_type: agentType } : {}),
      ...(agent.linkedBy !== undefined ? { linked_by: agent.linkedBy } : {}),
    },
  };
  const link: SubagentLink = { trajectory_id: id, ...(agent.callId !== undefined ? { call_id: agent.callId } : {}), ...(agentType !== undefined ? { agent_type: agentType } : {}), file };
  return { draft, link };
}

/** Each session field's first value in the conversation (some, like `slug`, appear only after a few lines). */
function sessionFields(nodes: SessionNode[]): Record<string, unknown> {
  const session: Record<string, unknown> = {};
  for (const node of nodes) {
    if (node.kind !== "user" && node.kind !== "assistant") continue;
    for (const field of SESSION_FIELDS) if (!(field in session) && node.record?.[field] !== undefined) session[field] = node.record[field];
  }
  return session;
}

function describeSkipped(skipped: Record<string, number>): string {
  const parts = Object.entries(skipped).map(([type, count]) => `${count} ${type}`);
  return parts.length > 0 ? ` (bookkeeping only: ${parts.join(", ")})` : "";
}
