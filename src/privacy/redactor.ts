import { assignmentType } from "./detectors.js";
import { ASSIGNMENT_PRIORITY, countPlaceholders, countSpans, replaceSpans, resolveSpans, scanSecrets } from "./scan.js";
import type { FindingCounts } from "./types.js";
import { isWholeSecretValue, secretKeyKind } from "./values.js";

/**
 * Redacts (mode `on`) or only finds (mode `report`) secrets in texts and JSON-like values, counting
 * them by type. Counts include placeholders already present, so a record redacted once and read
 * again reports the same counts.
 */
export class Redactor {
  readonly counts: FindingCounts = {};

  constructor(readonly mode: "on" | "report") {}

  /** `count: false` redacts without counting (the parsed twin of a raw argument string already counted). */
  text(text: string, count = true, key?: string): string {
    const spans = scanSecrets(text);
    if (key !== undefined) {
      const kind = secretKeyKind(key);
      if (kind !== undefined && isWholeSecretValue(kind, text)) {
        spans.push({ start: 0, end: text.length, type: assignmentType(key, kind, text), priority: ASSIGNMENT_PRIORITY });
      }
    }
    const kept = resolveSpans(spans);
    if (count) {
      countSpans(kept, this.counts);
      countPlaceholders(text, this.counts);
    }
    return this.mode === "on" ? replaceSpans(text, kept) : text;
  }

  nullableText(text: string | null, count = true): string | null {
    return text === null ? null : this.text(text, count);
  }

  /**
   * Every string inside a JSON-like value; a string under a key that names a secret (`"api_key": "…"`)
   * is judged whole, as the text scan judges `api_key = "…"`. Unchanged parts keep their identity.
   */
  value<T>(value: T, count = true, key?: string): T {
    if (typeof value === "string") return this.text(value, count, key) as T;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      value.forEach((item, i) => {
        const next = this.value(item, count);
        if (next !== item) (out ??= [...value])[i] = next;
      });
      return (out ?? value) as T;
    }
    if (value !== null && typeof value === "object") {
      const object = value as Record<string, unknown>;
      let out: Record<string, unknown> | undefined;
      for (const [k, item] of Object.entries(object)) {
        const next = this.value(item, count, k);
        if (next !== item) Object.defineProperty((out ??= { ...object }), k, { value: next, enumerable: true, writable: true, configurable: true });
      }
      return (out ?? value) as T;
    }
    return value;
  }
}
