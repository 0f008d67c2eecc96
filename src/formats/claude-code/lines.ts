import { kindOf } from "../common/rows.js";
import { isRecord } from "../common/text.js";
import type { ImportItem, JsonLine } from "../types.js";

/** One line of a Claude Code session that takes part in the uuid → parentUuid tree. */
export interface SessionNode {
  line: number;
  uuid: string | undefined;
  /** null: a root; undefined: the line names no parent at all (linked to the line before it). */
  parentUuid: string | null | undefined;
  /** `user` / `assistant` carry conversation; `boundary` is a compact_boundary; `other` only links the tree. */
  kind: "user" | "assistant" | "boundary" | "other";
  isSidechain: boolean;
  /** The whole line, kept for `user`, `assistant` and `boundary` nodes only. */
  record?: Record<string, unknown>;
}

/** A sub-agent reference found in a dropped `progress` line (`data.type: agent_progress`). */
export interface AgentProgress {
  line: number;
  agentId: string;
  callId: string | undefined;
}

export interface SessionLines {
  nodes: SessionNode[];
  /** Damaged lines: `scope: "line"` rejects. */
  rejects: Extract<ImportItem, { kind: "reject" }>[];
  /** Bookkeeping lines that were dropped, counted by `type` (and `subtype` for system lines). */
  skipped: Record<string, number>;
  agentProgress: AgentProgress[];
  /** Lines whose uuid an earlier line already had (a copied line): dropped, counted here. */
  duplicateUuids: number;
  lastLine: number;
}

/**
 * Reads a session's lines into tree nodes. Conversation lines (user, assistant, compact_boundary) are
 * kept whole; bookkeeping lines keep only their tree links; damaged lines become line rejects.
 */
export async function readSessionLines(lines: AsyncIterable<JsonLine>): Promise<SessionLines> {
  const result: SessionLines = { nodes: [], rejects: [], skipped: {}, agentProgress: [], duplicateUuids: 0, lastLine: 0 };
  const seen = new Set<string>();
  for await (const entry of lines) {
    result.lastLine = entry.line;
    if ("error" in entry) {
      result.rejects.push(lineReject(entry.line, entry.error, entry.detail));
      continue;
    }
    const problem = shapeProblem(entry.value);
    if (problem !== undefined) {
      result.rejects.push(lineReject(entry.line, "wrong-shape", problem));
      continue;
    }
    const record = entry.value as Record<string, unknown>;
    const uuid = typeof record.uuid === "string" ? record.uuid : undefined;
    if (uuid !== undefined) {
      if (seen.has(uuid)) {
        result.duplicateUuids++;
        continue;
      }
      seen.add(uuid);
    }
    const kind = kindOfLine(record);
    if (kind === "other") {
      const key = record.type === "system" && typeof record.subtype === "string" ? `system:${record.subtype}` : String(record.type);
      result.skipped[key] = (result.skipped[key] ?? 0) + 1;
      noteAgentProgress(record, entry.line, result.agentProgress);
      if (uuid === undefined) continue;
    }
    result.nodes.push({
      line: entry.line,
      uuid,
      parentUuid: typeof record.parentUuid === "string" || record.parentUuid === null ? record.parentUuid : undefined,
      kind,
      isSidechain: record.isSidechain === true,
      ...(kind === "other" ? {} : { record }),
    });
  }
  return result;
}

function kindOfLine(record: Record<string, unknown>): SessionNode["kind"] {
  if (record.type === "user" || record.type === "assistant") return record.type;
  if (record.type === "system" && record.subtype === "compact_boundary") return "boundary";
  return "other";
}

/** Why a parsed line cannot be used, or undefined when it can. */
function shapeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `expected a JSON object, got ${kindOf(value)}`;
  if (typeof value.type !== "string") return `type: expected a string, got ${kindOf(value.type)}`;
  if (value.uuid !== undefined && typeof value.uuid !== "string") return `uuid: expected a string, got ${kindOf(value.uuid)}`;
  if (value.parentUuid !== undefined && value.parentUuid !== null && typeof value.parentUuid !== "string") {
    return `parentUuid: expected a string or null, got ${kindOf(value.parentUuid)}`;
  }
  if (value.type !== "user" && value.type !== "assistant") return undefined;
  const message = value.message;
  if (!isRecord(message)) return `message: expected an object, got ${kindOf(message)}`;
  const content = message.content;
  if (typeof content === "string") return undefined;
  if (!Array.isArray(content)) return `message.content: expected a string or an array of blocks, got ${kindOf(content)}`;
  const bad = content.findIndex((block) => !isRecord(block) || typeof block.type !== "string");
  return bad === -1 ? undefined : `message.content[${bad}]: expected a block object with a type`;
}

function noteAgentProgress(record: Record<string, unknown>, line: number, into: AgentProgress[]): void {
  const data = record.data;
  if (record.type !== "progress" || !isRecord(data) || data.type !== "agent_progress" || typeof data.agentId !== "string") return;
  const callId = typeof record.parentToolUseID === "string" ? record.parentToolUseID : undefined;
  into.push({ line, agentId: data.agentId, callId });
}

function lineReject(line: number, code: Extract<ImportItem, { kind: "reject" }>["code"], reason: string): Extract<ImportItem, { kind: "reject" }> {
  return { kind: "reject", locator: { line }, scope: "line", code, reason };
}
