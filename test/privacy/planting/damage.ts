// The false-positive rate: words damaged per MB of text that holds no secrets. A finding is a true
// positive only where the text really holds personal data or a real credential, judged by rules
// that do not use the detectors: an e-mail address in an authorship context, a user name in a home
// folder, and the few real passwords of the shared samples (reviewed, listed below).
import { findSecrets } from "../../../src/privacy/scan.js";
import type { CleanText } from "./clean-corpus.js";

/**
 * Authorship and contact contexts: git trailers and headers, `Name <address>` and `Name (address)`,
 * package metadata, licence headers, mailto, "report … to", and files that list people.
 */
const AUTHORSHIP = /(?:author|committer|maintainer|contributor|copyright|\(c\)|signed-off-by|co-authored-by|reviewed-by|reported-by|acked-by|tested-by|helped-by|suggested-by|from:|to:|cc:|email|e-mail|mailto:|contact|report|reach|[<(])[^\n]{0,80}$/i;
const PEOPLE_FILES = /(?:AUTHORS|CONTRIBUTORS|MAINTAINERS|CODE_OF_CONDUCT|SECURITY|CHANGELOG|HISTORY|package\.json)/i;

/** Real passwords in the shared samples (a password generator's outputs, a task's given password): true positives. */
const REAL_IN_SAMPLES = /^(?:aB3#fG7!kL9@\.?|a9B7\$#fG3&Z1\.?|A1b2C3d4E5f6\.?|aBcD1234EfGh\.?|theagentcompany)$/;

export interface Finding {
  type: string;
  kind: string;
  source: string;
  match: string;
  context: string;
  /** True when the text really holds this (see above). */
  real: boolean;
  /** Words of the original text the placeholder replaced (when not real). */
  damaged: number;
}

export interface DamageReport {
  bytes: number;
  bytesByKind: Record<string, number>;
  findings: Finding[];
  damagedWords: number;
  /** Damaged words per MB (10^6 bytes). */
  perMB: number;
}

export function measureDamage(texts: readonly CleanText[]): DamageReport {
  const findings: Finding[] = [];
  const bytesByKind: Record<string, number> = {};
  let bytes = 0;
  for (const t of texts) {
    const size = Buffer.byteLength(t.text);
    bytes += size;
    bytesByKind[t.kind] = (bytesByKind[t.kind] ?? 0) + size;
    for (const span of findSecrets(t.text)) {
      const match = t.text.slice(span.start, span.end);
      const lineStart = t.text.lastIndexOf("\n", span.start) + 1;
      const before = t.text.slice(Math.max(lineStart, span.start - 120), span.start);
      const real =
        (span.type === "email" && (AUTHORSHIP.test(before) || PEOPLE_FILES.test(t.source))) ||
        span.type === "home-user" ||
        (t.kind === "agent log" && REAL_IN_SAMPLES.test(match));
      const lineEnd = t.text.indexOf("\n", span.end);
      findings.push({
        type: span.type,
        kind: t.kind,
        source: t.source,
        match,
        context: t.text.slice(Math.max(lineStart, span.start - 80), Math.min(lineEnd === -1 ? t.text.length : lineEnd, span.end + 60)),
        real,
        damaged: real ? 0 : Math.max(1, match.split(/\s+/).filter(Boolean).length),
      });
    }
  }
  const damagedWords = findings.reduce((n, f) => n + f.damaged, 0);
  return { bytes, bytesByKind, findings, damagedWords, perMB: damagedWords / (bytes / 1e6) };
}
