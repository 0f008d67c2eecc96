import type { Span } from "./scan.js";

/** Texts kept at most, by their total length: a few MB of strings (they are kept alive while remembered). */
const MAX_CHARS = 4 * 1024 * 1024;
/** Texts kept per length: texts of one length that differ are compared at most this many times. */
const PER_LENGTH = 4;

/**
 * The scan findings of long texts, for texts that come again: a dataset's system prompt or tool list in
 * every row, a tool's output that a session also keeps in the message's extra, a question that is also
 * the first user message. A text is found again by its length, then compared with the few texts of that
 * length (a comparison stops at the first difference and is far cheaper than a scan; hashing every text for
 * a table would cost a whole pass over it, about half a scan). One memo serves one input unit (a file or a
 * folder), so what it spares is what that unit repeats; full, it starts over.
 */
export class ScanMemo {
  private byLength = new Map<number, { text: string; spans: Span[] }[]>();
  private chars = 0;

  get(text: string): Span[] | undefined {
    const entries = this.byLength.get(text.length);
    if (entries === undefined) return undefined;
    for (let i = 0; i < entries.length; i++) if (entries[i]!.text === text) return entries[i]!.spans;
    return undefined;
  }

  set(text: string, spans: Span[]): void {
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
  }
}
