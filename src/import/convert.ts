import { finishTrajectory } from "../formats/common/finish.js";
import { rejectionOf } from "../formats/common/rows.js";
import type { ImportInput, Importer } from "../formats/types.js";
import { redactText } from "../privacy/scan.js";
import { ScanMemo } from "../privacy/scan-memo.js";
import type { RedactMode } from "../privacy/types.js";
import type { Domain } from "../records/trajectory.js";
import { formatProblems } from "../records/validate.js";
import { normaliserFor, UnitAudit } from "./audit-unit.js";
import type { ImportEvent } from "./run.js";

/** How every record is finished: the domain to force, and what to do with secrets. */
export interface ConvertOptions {
  domain?: Domain;
  redact: RedactMode;
  audit?: boolean;
}

/**
 * An importer's items as events: drafts finished, validated and redacted, rejects attributed to the file.
 * With redaction on, a reject's reason is redacted too (it may quote the record).
 */
export async function* convertItems(importer: Importer, input: ImportInput, file: string, options: ConvertOptions): AsyncGenerator<ImportEvent> {
  const format = importer.format;
  const audit = options.audit ? new UnitAudit(importer, normaliserFor(options.redact)) : undefined;
  const read = audit ? audit.watch(input) : input;
  const finish = { format, file, redact: options.redact, memo: new ScanMemo(), ...(options.domain ? { domain: options.domain } : {}) };
  let records = 0;
  try {
    for await (const item of importer.read(read)) {
      if (item.kind === "reject") {
        if (item.scope === "record") {
          records++;
          audit?.rejected(item.locator);
        }
        const { kind: _, ...reject } = item;
        yield { type: "reject", reject: { file, format, ...reject, reason: redactIfOn(reject.reason, options.redact) } };
        continue;
      }
      records++;
      const finished = finishTrajectory(item.draft, finish);
      if (finished.ok) {
        audit?.trajectory(finished.trajectory);
        yield {
          type: "trajectory",
          trajectory: finished.trajectory,
          ...(finished.loneSurrogates > 0 ? { loneSurrogates: finished.loneSurrogates } : {}),
          ...(item.draft.locator.line !== undefined ? { line: item.draft.locator.line } : {}),
        };
      } else {
        audit?.rejected(item.draft.locator);
        const reason = redactIfOn(`not a valid trajectory: ${formatProblems(finished.problems)}`, options.redact);
        yield { type: "reject", reject: { file, format, locator: item.draft.locator, scope: "record", code: "schema", reason } };
      }
    }
  } catch (error) {
    const { code, reason } = rejectionOf(error, format);
    yield { type: "reject", reject: { file, format, locator: {}, scope: "record", code, reason: redactIfOn(`the ${format} importer stopped after ${records} records: ${reason}`, options.redact) } };
  }
  if (audit) yield { type: "audit", file, format, counts: await audit.finish(input) };
}

/** A reject's reason may quote the record it rejects (redacted when redaction is on, and always valid UTF-8). */
function redactIfOn(reason: string, mode: RedactMode): string {
  const text = reason.toWellFormed();
  return mode === "on" ? redactText(text) : text;
}
