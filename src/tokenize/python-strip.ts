/**
 * Python's `str.strip`, `str.lstrip` and `str.rstrip` for chat templates. @huggingface/jinja's string
 * methods ignore their argument and trim all whitespace, so Qwen3's `reasoning_content.strip('\n')` lost
 * the spaces that transformers (jinja2, Python's methods) keeps, and the rendered prompt and its token ids
 * differed from what the model was trained on. python-jinja.ts reroutes those calls to this function.
 */

/** What Python's `str.isspace` counts as whitespace: `strip()` with no argument removes these. */
const PYTHON_SPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

export type Side = "strip" | "lstrip" | "rstrip";

/** `text.<side>(chars)` as Python computes it: `chars` none or absent strips whitespace, else any of its characters. */
export function pythonStrip(side: Side, text: string, chars?: string | null): string {
  const set = new Set(chars ?? PYTHON_SPACE);
  const codePoints = [...text];
  let start = 0;
  let end = codePoints.length;
  if (side !== "rstrip") while (start < end && set.has(codePoints[start]!)) start++;
  if (side !== "lstrip") while (end > start && set.has(codePoints[end - 1]!)) end--;
  return start === 0 && end === codePoints.length ? text : codePoints.slice(start, end).join("");
}
