import { isRecord } from "../common/text.js";
import type { SessionNode } from "./lines.js";

export interface Conversation {
  /** The lines of the conversation, in file order. */
  nodes: SessionNode[];
  /** Conversation lines left out: off the final chain (rewinds) or of the other side (sidechain lines in a session). */
  dropped: { branches: { line: number; messages: number }[]; otherSide: number };
  /** Every line of the other side (sidechain lines stored in a session file, or main lines in a sub-agent's). */
  otherSide: SessionNode[];
}

/**
 * Picks the conversation out of a session's uuid tree: the chain that ends at the last message.
 *
 * - The walk goes from the last user/assistant line of the file's side (main or sidechain) up through
 *   `parentUuid`. Bookkeeping lines sit in the chain too (a parallel tool_use hangs off a hook line).
 * - A `compact_boundary` has `parentUuid: null`; the walk continues at its `logicalParentUuid`, or, when
 *   that line is not in the file, at the last conversation line before the boundary. A parent uuid that
 *   is missing from the file (a damaged line, or a sub-agent's context that lives in the main session)
 *   and a line with no `parentUuid` field at all are bridged the same way.
 * - Lines off the chain are kept when they belong to it: more blocks of an assistant message on the
 *   chain (same `message.id`) and results of its parallel tool calls. Anything else off the chain is an
 *   abandoned branch (a rewind) and is dropped, counted per branch.
 */
export function selectConversation(all: SessionNode[]): Conversation {
  const conversational = all.filter((node) => node.kind === "user" || node.kind === "assistant");
  const leaf = conversational.at(-1);
  if (leaf === undefined) return { nodes: [], dropped: { branches: [], otherSide: 0 }, otherSide: [] };
  const side = all.filter((node) => node.isSidechain === leaf.isSidechain);
  const others = all.filter((node) => node.isSidechain !== leaf.isSidechain);
  const otherSide = conversational.length - side.filter((node) => node.kind === "user" || node.kind === "assistant").length;

  const byUuid = new Map<string, SessionNode>();
  for (const node of side) if (node.uuid !== undefined) byUuid.set(node.uuid, node);
  const sideConversation = side.filter((node) => node.kind === "user" || node.kind === "assistant");
  const chain = walkChain(leaf, byUuid, sideConversation);

  const messageIds = new Set<string>();
  const callIds = new Set<string>();
  const answered = new Set<string>();
  for (const node of chain) noteIds(node, messageIds, callIds, answered);

  const kept = new Set(chain);
  const branchOf = new Map<SessionNode, SessionNode>();
  for (const node of sideConversation) {
    if (kept.has(node)) continue;
    if (belongsToChain(node, messageIds, callIds, answered)) {
      kept.add(node);
      noteIds(node, messageIds, callIds, answered);
    } else {
      branchOf.set(node, branchRoot(node, byUuid, kept));
    }
  }

  const counts = new Map<SessionNode, number>();
  for (const root of branchOf.values()) counts.set(root, (counts.get(root) ?? 0) + 1);
  const branches = [...counts].map(([root, messages]) => ({ line: root.line, messages })).sort((a, b) => a.line - b.line);
  return { nodes: side.filter((node) => kept.has(node)), dropped: { branches, otherSide }, otherSide: others };
}

function walkChain(leaf: SessionNode, byUuid: Map<string, SessionNode>, conversation: SessionNode[]): Set<SessionNode> {
  const chain = new Set<SessionNode>();
  let current: SessionNode | undefined = leaf;
  while (current !== undefined && !chain.has(current)) {
    chain.add(current);
    const logical: unknown = current.kind === "boundary" ? current.record?.logicalParentUuid : undefined;
    const parentId: string | null | undefined = current.parentUuid ?? (typeof logical === "string" ? logical : current.parentUuid);
    const parent: SessionNode | undefined = typeof parentId === "string" ? byUuid.get(parentId) : undefined;
    if (parent !== undefined) current = parent;
    else if (parentId !== null || current.kind === "boundary") current = lastBefore(current.line, conversation, chain);
    else current = undefined;
  }
  return chain;
}

/** The last conversation line before `line` that is not on the chain yet (`conversation` is in file order). */
function lastBefore(line: number, conversation: SessionNode[], chain: Set<SessionNode>): SessionNode | undefined {
  let low = 0;
  let high = conversation.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (conversation[mid]!.line < line) low = mid + 1;
    else high = mid;
  }
  for (let i = low - 1; i >= 0; i--) if (!chain.has(conversation[i]!)) return conversation[i];
  return undefined;
}

function belongsToChain(node: SessionNode, messageIds: Set<string>, callIds: Set<string>, answered: Set<string>): boolean {
  const message = node.record?.message;
  if (!isRecord(message)) return false;
  if (node.kind === "assistant") return typeof message.id === "string" && messageIds.has(message.id);
  const content = message.content;
  if (!Array.isArray(content) || content.length === 0) return false;
  return content.every(
    (block) =>
      isRecord(block) &&
      block.type === "tool_result" &&
      typeof block.tool_use_id === "string" &&
      callIds.has(block.tool_use_id) &&
      !answered.has(block.tool_use_id),
  );
}

function noteIds(node: SessionNode, messageIds: Set<string>, callIds: Set<string>, answered: Set<string>): void {
  const message = node.record?.message;
  if (!isRecord(message) || !Array.isArray(message.content)) return;
  if (node.kind === "assistant" && typeof message.id === "string") messageIds.add(message.id);
  for (const block of message.content) {
    if (!isRecord(block)) continue;
    if (node.kind === "assistant" && block.type === "tool_use" && typeof block.id === "string") callIds.add(block.id);
    if (node.kind === "user" && block.type === "tool_result" && typeof block.tool_use_id === "string") answered.add(block.tool_use_id);
  }
}

/** The first line of the branch `node` is on: its highest ancestor that is not part of the conversation. */
function branchRoot(node: SessionNode, byUuid: Map<string, SessionNode>, kept: Set<SessionNode>): SessionNode {
  let root = node;
  const visited = new Set<SessionNode>([node]);
  for (;;) {
    const parent = typeof root.parentUuid === "string" ? byUuid.get(root.parentUuid) : undefined;
    if (parent === undefined || kept.has(parent) || visited.has(parent)) return root;
    visited.add(parent);
    root = parent;
  }
}
