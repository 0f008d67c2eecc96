import { countSpans, findSecrets, replaceSpans } from "../privacy/scan.js";
import type { FindingCounts, RedactMode } from "../privacy/types.js";
import type { EvidencePiece } from "../records/sample.js";
import type { Trajectory } from "../records/trajectory.js";

export interface RedactedEvidence {
  pieces: EvidencePiece[];
  /** Secrets found in the pieces that the trajectory itself did not hold: text read from `--repo` and `--db`. */
  counts: FindingCounts;
}

/**
 * Trajectories are redacted when imported, but files and tables read from `--repo` and `--db` are
 * not: every piece's text is scanned before it is counted or rendered. With redaction on, findings
 * are replaced and all counted (the trajectory's own text already holds placeholders, so whatever is
 * found is new). In `report` mode texts are left as they are, and a finding is counted only when the
 * trajectory does not hold the same text (it was counted at import).
 */
export function redactEvidence(pieces: EvidencePiece[], mode: RedactMode, trajectory?: Trajectory): RedactedEvidence {
  const counts: FindingCounts = {};
  if (mode === "off") return { pieces, counts };
  let own: string[] | undefined;
  const ownTexts = () => (own ??= trajectory ? stringsOf(trajectory) : []);
  const inTrajectory = (value: string) => ownTexts().some((text) => text.includes(value));
  // A piece that is a whole text of the trajectory (a page, a tool output) was judged at import:
  // redacted there (a second scan finds nothing more), or, in report mode, counted there.
  let whole: Set<string> | undefined;
  const isOwnText = (text: string) => (whole ??= new Set(ownTexts())).has(text);
  const redacted = pieces.map((piece) => {
    if (isOwnText(piece.text)) return piece;
    const spans = findSecrets(piece.text);
    if (spans.length === 0) return piece;
    countSpans(mode === "on" ? spans : spans.filter((s) => !inTrajectory(piece.text.slice(s.start, s.end))), counts);
    return mode === "on" ? { ...piece, text: replaceSpans(piece.text, spans) } : piece;
  });
  return { pieces: redacted, counts };
}

function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === "string") into.push(value);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) stringsOf(item, into);
  return into;
}
