import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SubagentLink } from "../../records/trajectory.js";
import { trajectoryId } from "../common/finish.js";
import { isRecord } from "../common/text.js";
import type { AgentProgress } from "./lines.js";
import type { DraftMessage } from "../types.js";

export const FORMAT = "claude-code";

/** A session trajectory spans the whole file; its id only depends on the file (line 1). */
export function sessionTrajectoryId(file: string): string {
  return trajectoryId(FORMAT, file, { line: 1 });
}

/** `agent-<kind>-<hex>` ids name built-in helper agents: `acompact-…` is the compaction summariser. */
export function agentTypeOf(agentId: string): string | undefined {
  return /^a([a-z_]+)-[0-9a-f]+$/.exec(agentId)?.[1];
}

/**
 * Where a sub-agent's file lies: `<sessionId>/subagents/agent-<id>.jsonl` next to the session file
 * (Claude Code 2.x), or `agent-<id>.jsonl` beside it (1.x); the first that exists, else the 2.x place.
 */
export function subagentFile(sessionFile: string, agentId: string): string {
  const current = join(dirname(sessionFile), sessionStem(sessionFile), "subagents", `agent-${agentId}.jsonl`);
  const older = join(dirname(sessionFile), `agent-${agentId}.jsonl`);
  return !existsSync(current) && existsSync(older) ? older : current;
}

/** The session file a sub-agent file belongs to, from its place on disk and the `sessionId` of its lines. */
export function parentSessionFile(subagentPath: string, sessionId: string | undefined): string | undefined {
  const folder = dirname(subagentPath);
  if (basename(folder) === "subagents") return join(dirname(dirname(folder)), `${basename(dirname(folder))}.jsonl`);
  return sessionId === undefined ? undefined : join(folder, `${sessionId}.jsonl`);
}

function sessionStem(file: string): string {
  return basename(file).replace(/\.jsonl(\.gz)?$/, "");
}

/**
 * The sub-agents a session started: from the `toolUseResult.agentId` of a Task result (with the Task
 * call's `subagent_type`), or else from `agent_progress` lines that name the agent and its Task call.
 * Agents in `inline` have their lines in the session file itself and are linked there instead.
 */
export function subagentLinks(sessionFile: string, messages: DraftMessage[], progress: AgentProgress[], inline: ReadonlySet<string> = new Set()): SubagentLink[] {
  const callInputs = new Map<string, unknown>();
  for (const message of messages) {
    if (message.role === "assistant") for (const call of message.tool_calls) if (call.id !== null) callInputs.set(call.id, call.arguments);
  }
  const found = new Map<string, string | undefined>();
  for (const message of messages) {
    const result = message.role === "tool" ? message.extra?.toolUseResult : undefined;
    if (message.role === "tool" && isRecord(result) && typeof result.agentId === "string" && !found.has(result.agentId)) {
      found.set(result.agentId, message.call_id ?? undefined);
    }
  }
  for (const entry of progress) if (!found.has(entry.agentId)) found.set(entry.agentId, entry.callId);
  for (const agentId of inline) found.delete(agentId);

  return [...found].map(([agentId, callId]) => {
    const input = callId === undefined ? undefined : callInputs.get(callId);
    const agentType = isRecord(input) && typeof input.subagent_type === "string" ? input.subagent_type : agentTypeOf(agentId);
    const file = subagentFile(sessionFile, agentId);
    return {
      trajectory_id: sessionTrajectoryId(file),
      ...(callId !== undefined ? { call_id: callId } : {}),
      ...(agentType !== undefined ? { agent_type: agentType } : {}),
      file,
    };
  });
}
