import { assignmentType } from "./detectors/assignment.js";
import { rewriteJsonStrings } from "./json-strings.js";
import { ASSIGNMENT_PRIORITY, countPlaceholders, countSpans, replaceSpans, resolveSpans } from "./scan.js";
import { ScanMemo } from "./scan-memo.js";
import type { FindingCounts } from "./types.js";
import { isWholeSecretValue, secretKeyKind } from "./values.js";

/**
 * Redacts (mode `on`) or only finds (mode `report`) secrets in texts and JSON-like values, counting
 * them by type. Counts include placeholders already present, so a record redacted once and read
 * again reports the same counts.
 */
export class Redactor {
  readonly counts: FindingCounts = {};
  /** `memo`: the findings of texts already scanned, shared by the redactors of one input unit's records. */
  constructor(
    readonly mode: "on" | "report",
    private readonly memo = new ScanMemo(),
  ) {}

  /** `count: false` redacts without counting (a copy already counted). `key`: the object member the text is the value of. */
  text(text: string, count = true, key?: string): string {
    if (text.length === 0) return text;
    let spans = this.memo.spans(text);
    if (key !== undefined) {
      const kind = secretKeyKind(key);
      if (kind !== undefined && isWholeSecretValue(kind, text)) {
        spans = [...spans, { start: 0, end: text.length, type: assignmentType(key, kind, text), priority: ASSIGNMENT_PRIORITY }];
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
   * Every string inside a JSON-like value, keys included; a string under a key that names a secret
   * (`"api_key": "…"`) is judged whole, as the text scan judges `api_key = "…"`. Unchanged parts keep
   * their identity.
   */
  value<T>(value: T, count = true, key?: string): T {
    if (typeof value === "string") return this.text(value, count, key) as T;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const next = this.value(item, count);
        if (next !== item) (out ??= [...value])[i] = next;
      }
      return (out ?? value) as T;
    }
    // No copy, and no list of entries, until a key or a value changes: most objects hold no secret.
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const item = object[k];
      const nextKey = this.text(k, count);
      const next = this.value(item, count, k);
      if (out === undefined && (nextKey !== k || next !== item)) {
        out = {};
        for (let j = 0; j < i; j++) define(out, keys[j]!, object[keys[j]!]);
      }
      if (out !== undefined) define(out, nextKey, next);
    }
    return (out ?? value) as T;
  }

  /**
   * A JSON text (a tool call's raw arguments) redacted string by string, exactly as `value` redacts
   * its parsed form: JSON.parse of the result equals `value(JSON.parse(json))`.
   */
  json(json: string, count = true): string {
    return rewriteJsonStrings(json, (text, key) => this.text(text, count, key));
  }
}

/** An own, enumerable member, as JSON.parse makes it (an assignment to `__proto__` would set the prototype instead). */
function define(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
