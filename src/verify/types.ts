/** What every verifier returns. */
export interface Verdict {
  pass: boolean;
  /**
   * Why, as a stable code. Passing: exact-match, numeric, f1, set-match, list-match, result-match,
   * value-match, patch-match, tests-passed, judge-pass. Failing: mismatch, sql-error, sql-timeout,
   * not-a-query, result-too-large, gold-sql-error, no-candidate, patch-does-not-apply, patch-differs,
   * tests-failed, tests-timeout, judge-fail, judge-unparsable.
   */
  reason: string;
  /** One readable line: what was compared and what differed. */
  detail: string;
  /** A graded similarity in [0, 1] when the verifier has one (token F1, share of gold changes matched). */
  score?: number;
}

/** A candidate answer: the text, and the SQL query or patch found in it when the domain has one. */
export interface Candidate {
  answer: string;
  sql?: string;
  patch?: string;
}

export const pass = (reason: string, detail: string, score?: number): Verdict => ({ pass: true, reason, detail, ...(score === undefined ? {} : { score }) });
export const fail = (reason: string, detail: string, score?: number): Verdict => ({ pass: false, reason, detail, ...(score === undefined ? {} : { score }) });

/** A text shortened for a verdict's detail line. */
export function excerpt(text: string, chars = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > chars ? `${flat.slice(0, chars - 1)}…` : flat);
}
