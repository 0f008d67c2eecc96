import { redactText } from "../privacy/scan.js";
import type { RedactMode } from "../privacy/types.js";
import type { EvidencePiece } from "../records/sample.js";

/**
 * Trajectories are redacted when imported, but files and tables read from `--repo` and `--db` are
 * not: with redaction on, every piece's text is redacted before it is counted or rendered.
 * (`report` counts at import only; evidence is left as it is.)
 */
export function redactPieces(pieces: EvidencePiece[], mode: RedactMode): EvidencePiece[] {
  if (mode !== "on") return pieces;
  return pieces.map((piece) => {
    const text = redactText(piece.text);
    return text === piece.text ? piece : { ...piece, text };
  });
}
