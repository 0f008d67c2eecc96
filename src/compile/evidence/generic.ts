import type { Trajectory } from "../../records/trajectory.js";
import { callsWithResults, PieceSet } from "./common.js";

/** Any other agent: each tool result is a piece of evidence. */
export function extractGenericEvidence(trajectory: Trajectory): PieceSet {
  const pieces = new PieceSet(trajectory.id);
  for (const { call, result } of callsWithResults(trajectory)) {
    if (result === undefined || result.isError) continue;
    pieces.add({ kind: "tool-result", source: call.name, text: result.content, role: "evidence", messageIndex: result.messageIndex, callId: call.id });
  }
  return pieces;
}
