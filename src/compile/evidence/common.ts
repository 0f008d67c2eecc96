import { createHash } from "node:crypto";
import type { EvidencePiece, PieceKind, PieceRole } from "../../records/sample.js";
import type { Trajectory, ToolCall } from "../../records/trajectory.js";
import { isRecord } from "../../json.js";

/** A tool call with the result that answered it (if any) and where both sit in the trajectory. */
export interface CallWithResult {
  call: ToolCall;
  /** Index of the assistant message holding the call. */
  messageIndex: number;
  result: { content: string; isError: boolean; messageIndex: number } | undefined;
}

export function callsWithResults(trajectory: Trajectory): CallWithResult[] {
  const results = new Map<string, { content: string; isError: boolean; messageIndex: number }>();
  trajectory.messages.forEach((m, i) => {
    if (m.role === "tool" && m.call_id !== null && !results.has(m.call_id)) {
      results.set(m.call_id, { content: m.content, isError: m.is_error, messageIndex: i });
    }
  });
  const out: CallWithResult[] = [];
  trajectory.messages.forEach((m, i) => {
    if (m.role !== "assistant") return;
    for (const call of m.tool_calls) out.push({ call, messageIndex: i, result: results.get(call.id) });
  });
  return out;
}

/** `run_sql` → [run, sql]; `WebSearch` → [web, search]. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

/** The first string argument among `keys` (case-insensitive), looking one level into nested objects. */
export function stringArgument(call: ToolCall, keys: readonly string[]): string | undefined {
  const args = call.arguments;
  if (!isRecord(args)) return undefined;
  const entries = Object.entries(args);
  for (const key of keys) {
    const hit = entries.find(([k, v]) => k.toLowerCase() === key && typeof v === "string");
    if (hit) return hit[1] as string;
  }
  for (const [, value] of entries) {
    if (isRecord(value)) {
      const nested = Object.entries(value).find(([k, v]) => keys.includes(k.toLowerCase()) && typeof v === "string");
      if (nested) return nested[1] as string;
    }
  }
  return undefined;
}

/** The text a call was given: the named argument, else the raw argument text. */
export function argumentText(call: ToolCall, keys: readonly string[]): string | undefined {
  if (typeof call.arguments === "string") return call.arguments;
  return stringArgument(call, keys) ?? (call.arguments === null ? (call.raw_arguments ?? undefined) : undefined);
}

const ROLE_RANK: Record<PieceRole, number> = { evidence: 0, context: 1, distractor: 2 };

/**
 * Pieces of one trajectory, identical texts kept once: the strongest role wins and every origin is
 * kept, so each piece still says everywhere it came from.
 */
export class PieceSet {
  private readonly byHash = new Map<string, EvidencePiece>();

  constructor(private readonly trajectoryId: string) {}

  add(piece: { kind: PieceKind; source: string; text: string; role: PieceRole; messageIndex?: number; callId?: string }): void {
    const text = piece.text.trim();
    if (text === "") return;
    const hash = createHash("sha256").update(text).digest("hex");
    const origin = {
      trajectory_id: this.trajectoryId,
      ...(piece.messageIndex !== undefined ? { message_index: piece.messageIndex } : {}),
      ...(piece.callId !== undefined ? { call_id: piece.callId } : {}),
    };
    const existing = this.byHash.get(hash);
    if (existing) {
      if (!existing.origins.some((o) => JSON.stringify(o) === JSON.stringify(origin))) existing.origins.push(origin);
      if (ROLE_RANK[piece.role] < ROLE_RANK[existing.role]) {
        existing.role = piece.role;
        existing.kind = piece.kind;
        existing.source = piece.source;
      }
      return;
    }
    this.byHash.set(hash, { id: `${piece.kind}:${hash.slice(0, 16)}`, kind: piece.kind, source: piece.source, text, role: piece.role, origins: [origin] });
  }

  has(role: PieceRole): boolean {
    return [...this.byHash.values()].some((p) => p.role === role);
  }

  pieces(): EvidencePiece[] {
    return [...this.byHash.values()];
  }
}
