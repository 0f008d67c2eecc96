import type { SecretType } from "../types.js";

/** Where a secret sits in a text: [start, end) is what its placeholder replaces. */
export interface Finding {
  start: number;
  end: number;
  type: SecretType;
}

/**
 * One kind of secret, as in gitleaks: `keywords` are the literals near which it can stand (compared
 * case-insensitively, every digit written `0`), and `find` checks the text around an occurrence with a
 * sticky regex or a few character tests. The scanner finds every keyword of every detector in one
 * pass (see prefilter.ts) and calls `find` only there; `at` is where the keyword starts.
 */
export interface Detector {
  readonly keywords: readonly string[];
  find(text: string, at: number, keyword: string, out: Finding[]): void;
}
