import { contentToText, isRecord } from "../common/text.js";
import type { SessionNode } from "./lines.js";
import type { DraftMessage } from "../types.js";

/** Sub-agent lines stored in the session file itself (older Claude Code), grouped into one sub-agent each. */
export interface InlineAgent {
  nodes: SessionNode[];
  agentId: string | undefined;
  /** The Task call of the session that started it, when it could be told. */
  callId: string | undefined;
  /** How the call was told: the agent id its result names, its prompt, or the time it ran. */
  linkedBy: "agent-id" | "prompt" | "time" | undefined;
}

/**
 * Groups the lines of the other side (sidechain lines in a session file) into sub-agents and ties each
 * to the Task call that started it:
 * - lines linked by `parentUuid`, and lines with the same `agentId`, are one sub-agent;
 * - a sub-agent's call is the one whose result names its `agentId` (`toolUseResult.agentId`, or the
 *   result line's own `agentId`), else the Task call whose `prompt` is the sub-agent's first user text,
 *   else the one Task call that was running when the sub-agent's first line was written;
 * - sub-agents tied to the same call are one.
 */
export function inlineAgents(others: SessionNode[], messages: DraftMessage[]): InlineAgent[] {
  const groups = components(others);
  const calls = taskCalls(messages);
  const byCall = new Map<string, InlineAgent>();
  const agents: InlineAgent[] = [];
  for (const nodes of groups) {
    const agentId = nodes.map((n) => n.record?.agentId).find((id): id is string => typeof id === "string");
    const link = linkOf(nodes, agentId, calls);
    const existing = link.callId === undefined ? undefined : byCall.get(link.callId);
    if (existing !== undefined) {
      existing.nodes = [...existing.nodes, ...nodes].sort((a, b) => a.line - b.line);
      existing.agentId ??= agentId;
      if (LINK_STRENGTH.indexOf(link.linkedBy!) < LINK_STRENGTH.indexOf(existing.linkedBy!)) existing.linkedBy = link.linkedBy;
      continue;
    }
    const agent: InlineAgent = { nodes, agentId, ...link };
    if (link.callId !== undefined) byCall.set(link.callId, agent);
    agents.push(agent);
  }
  return agents.sort((a, b) => a.nodes[0]!.line - b.nodes[0]!.line);
}

const LINK_STRENGTH = ["agent-id", "prompt", "time"] as const;

/** Lines joined by `parentUuid` links or a shared `agentId`, each group in file order. */
function components(nodes: SessionNode[]): SessionNode[][] {
  const parent = new Map<SessionNode, SessionNode>();
  const find = (node: SessionNode): SessionNode => {
    let root = node;
    while (parent.has(root)) root = parent.get(root)!;
    return root;
  };
  const union = (a: SessionNode, b: SessionNode) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  const byUuid = new Map<string, SessionNode>();
  const byAgent = new Map<string, SessionNode>();
  for (const node of nodes) if (node.uuid !== undefined) byUuid.set(node.uuid, node);
  for (const node of nodes) {
    const up = typeof node.parentUuid === "string" ? byUuid.get(node.parentUuid) : undefined;
    if (up !== undefined) union(up, node);
    const agentId = node.record?.agentId;
    if (typeof agentId !== "string") continue;
    const first = byAgent.get(agentId);
    if (first === undefined) byAgent.set(agentId, node);
    else union(first, node);
  }
  const groups = new Map<SessionNode, SessionNode[]>();
  for (const node of nodes) {
    const root = find(node);
    let group = groups.get(root);
    if (group === undefined) groups.set(root, (group = []));
    group.push(node);
  }
  return [...groups.values()];
}

interface TaskCall {
  id: string;
  prompt: string | undefined;
  agentId: string | undefined;
  start: number | undefined;
  end: number | undefined;
}

/** The session's calls that have a result, with what can tie a sub-agent to them. */
function taskCalls(messages: DraftMessage[]): TaskCall[] {
  const calls = new Map<string, TaskCall>();
  for (const message of messages) {
    if (message.role === "assistant") {
      for (const call of message.tool_calls) {
        if (call.id === null) continue;
        const prompt = isRecord(call.arguments) && typeof call.arguments.prompt === "string" ? call.arguments.prompt : undefined;
        calls.set(call.id, { id: call.id, prompt, agentId: undefined, start: timeOf(message.timestamp), end: undefined });
      }
    } else if (message.role === "tool" && message.call_id !== null) {
      const call = calls.get(message.call_id);
      if (call === undefined) continue;
      const result = message.extra?.toolUseResult;
      const agentId = isRecord(result) && typeof result.agentId === "string" ? result.agentId : message.extra?.agentId;
      if (typeof agentId === "string") call.agentId = agentId;
      call.end = timeOf(message.timestamp);
    }
  }
  return [...calls.values()];
}

function linkOf(nodes: SessionNode[], agentId: string | undefined, calls: TaskCall[]): Pick<InlineAgent, "callId" | "linkedBy"> {
  const byAgent = agentId === undefined ? undefined : calls.find((call) => call.agentId === agentId);
  if (byAgent !== undefined) return { callId: byAgent.id, linkedBy: "agent-id" };
  const firstUser = nodes.find((n) => n.kind === "user")?.record?.message;
  const prompt = isRecord(firstUser) ? contentToText(firstUser.content).trim() : undefined;
  const byPrompt = prompt ? calls.filter((call) => call.prompt?.trim() === prompt) : [];
  if (byPrompt.length === 1) return { callId: byPrompt[0]!.id, linkedBy: "prompt" };
  const started = nodes.map((n) => timeOf(n.record?.timestamp)).find((t) => t !== undefined);
  const running =
    started === undefined
      ? []
      : calls.filter((call) => call.prompt !== undefined && call.start !== undefined && call.end !== undefined && call.start <= started && started <= call.end);
  if (running.length === 1) return { callId: running[0]!.id, linkedBy: "time" };
  return { callId: undefined, linkedBy: undefined };
}

function timeOf(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
