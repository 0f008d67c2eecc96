import type { Detector } from "./detector.js";

const HEADER = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/y;
/** A line break, or its escape inside a JSON string (`\n`), escaped again any number of times (`\\n`, `\\\\n`). */
const LINE_BREAK = String.raw`(?:\r?\n|(?:\\+r)?\\+n)`;
/** Where a line of the block ends: a line break, its escape, a quote (the end of a JSON string) or the end. */
const LINE_END = String.raw`(?=\r?\n|\\+[rn]|\\*["']|$)`;
/**
 * One more line of a key block: a line break, then (after any indentation, as in a YAML block) a whole
 * line of base64 (short only as the last line before the footer), a PEM header such as
 * `Proc-Type: 4,ENCRYPTED`, or nothing (a blank line).
 */
const LINE = new RegExp(
  `${LINE_BREAK}[ \\t]*(?<line>[A-Za-z0-9+/=]{8,}|[A-Za-z0-9+/=]+(?=${LINE_BREAK}[ \\t]*-----END )|[A-Z][A-Za-z-]+: [^\\r\\n\\\\"]*|)${LINE_END}`,
  "y",
);
const FOOTER = new RegExp(`${LINE_BREAK}[ \\t]*-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`, "y");

/**
 * `-----BEGIN … PRIVATE KEY-----`, its lines, and its footer when it has one (`head -5 key.pem` cuts it
 * off), with real line breaks or escaped ones (a service-account JSON pasted into a command).
 */
export const privateKey: Detector = {
  keywords: ["-----begin"],
  find(text, at, _keyword, out) {
    HEADER.lastIndex = at;
    if (!HEADER.test(text)) return;
    let end = HEADER.lastIndex;
    let cursor = end;
    for (;;) {
      FOOTER.lastIndex = cursor;
      if (FOOTER.test(text)) {
        out.push({ start: at, end: FOOTER.lastIndex, type: "private-key" });
        return;
      }
      LINE.lastIndex = cursor;
      const line = LINE.exec(text);
      if (line === null) break;
      cursor = LINE.lastIndex;
      if (line.groups!.line !== "") end = cursor;
    }
    out.push({ start: at, end, type: "private-key" });
  },
};
