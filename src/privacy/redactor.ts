import { assignmentType } from "./detectors/assignment.js";
import { rewriteJsonStrings } from "./json-strings.js";
import { ASSIGNMENT_PRIORITY, countPlaceholders, countSpans, replaceSpans, resolveSpans, scanSecrets, type Span } from "./scan.js";
import type { FindingCounts } from "./types.js";
import { isWholeSecretValue, secretKeyKind } from "./values.js";

/**
 * Redacts (mode `on`) or only finds (mode `report`) secrets in texts and JSON-like values, counting
 * them by type. Counts include placeholders already present, so a record redacted once and read
 * again reports the same counts. A text seen again (a copy of a message, a raw argument string's
 * decoded twin) is not scanned again.
 */
export class Redactor {
  readonly counts: FindingCounts = {};
  private readonly scanned = new Map<string, Span[]>();

  constructor(readonly mode: "on" | "report") {}

  /** `count: false` redacts without counting (a copy already counted). `key`: the object member the text is the value of. */
  text(text: string, count = true, key?: string): string {
    if (text.length === 0) return text;
    let spans = this.scanned.get(text);
    if (spans === undefined) {
      spans = scanSecrets(text);
      this.scanned.set(text, spans);
    }
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
      let changed = false;
      const entries = Object.keys(object).map((k) => {
        const item = object[k];
        const [nextKey, next] = [this.text(k, count), this.value(item, count, k)];
        if (nextKey !== k || next !== item) changed = true;
        return [nextKey, next] as const;
      });
      if (!changed) return value;
      const out: Record<string, unknown> = {};
      // defineProperty: a key `__proto__` stays an own property, as JSON.parse makes it.
      for (const [k, item] of entries) Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true });
      return out as T;
    }
    return value;
  }

  /**
   * A JSON text (a tool call's raw arguments) redacted string by string, exactly as `value` redacts
   * its parsed form: JSON.parse of the result equals `value(JSON.parse(json))`.
   */
  json(json: string, count = true): string {
    return rewriteJsonStrings(json, (text, key) => this.text(text, count, key));
  }
}
