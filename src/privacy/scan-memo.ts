import { scanSecrets, type Span } from "./scan.js";

/** Texts up to this length are remembered by the text itself (hashing one costs less than scanning it). */
const SHORT_LENGTH = 64;
/** Short texts kept at most (keys, roles, names: the same ones in every record). */
const MAX_SHORT = 50_000;
/** Longer texts kept at most, by their total length: a few MB of strings (they are kept alive while remembered). */
const MAX_CHARS = 4 * 1024 * 1024;
/** Longer texts kept per length: texts of one length that differ are compared at most this many times. */
const PER_LENGTH = 4;

/**
 * The scan findings of the texts of one input unit (a file or a folder), each text scanned once however
 * often it comes: keys and roles in every record; a dataset's system prompt or tool list in every row; a
 * tool's output that a session also keeps in the message's extra; a question that is also the first user
 * message. A short text is found again by the text; a longer one by its length, then compared with the
 * few texts of that length (a comparison stops at the first difference; hashing every long text for a
 * table would cost a whole pass over it, about half a scan). Full, a table starts over.
 */
export class ScanMemo {
  private short = new Map<string, Span[]>();
  private byLength = new Map<number, { text: string; spans: Span[] }[]>();
  private chars = 0;

  /** The findings of `text` (see scanSecrets): shared, never to be changed. */
  spans(text: string): Span[] {
    if (text.length <= SHORT_LENGTH) {
      let spans = this.short.get(text);
      if (spans === undefined) {
        spans = scanSecrets(text);
        if (this.short.size >= MAX_SHORT) this.short = new Map();
        this.short.set(text, spans);
      }
      return spans;
    }
    return this.remembered(text) ?? this.remember(text, scanSecrets(text));
  }

  private remembered(text: string): Span[] | undefined {
    const entries = this.byLength.get(text.length);
    if (entries === undefined) return undefined;
    for (let i = 0; i < entries.length; i++) if (entries[i]!.text === text) return entries[i]!.spans;
    return undefined;
  }

  private remember(text: string, spans: Span[]): Span[] {
    if (this.chars + text.length > MAX_CHARS) {
      this.byLength = new Map();
      this.chars = 0;
    }
    const entries = this.byLength.get(text.length);
    if (entries === undefined) this.byLength.set(text.length, [{ text, spans }]);
    else if (entries.length < PER_LENGTH) entries.push({ text, spans });
    else {
      this.chars -= entries[PER_LENGTH - 1]!.text.length;
      entries[PER_LENGTH - 1] = { text, spans };
    }
    this.chars += text.length;
    return spans;
  }
}
