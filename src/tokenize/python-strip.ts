/**
 * Python's `str.strip`, `str.lstrip` and `str.rstrip` for chat templates. @huggingface/jinja's string
 * methods ignore their argument and trim all whitespace, so Qwen3's `reasoning_content.strip('\n')` lost
 * the spaces that transformers (jinja2, Python's methods) keeps, and the rendered prompt and its token ids
 * differed from what the model was trained on. `pythonStringMethods` reroutes those calls in a parsed
 * template to these functions.
 */

import { ChatTemplateError } from "./errors.js";

/** What Python's `str.isspace` counts as whitespace: `strip()` with no argument removes these. */
const PYTHON_SPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

type Side = "strip" | "lstrip" | "rstrip";

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

const SIDES = new Set<string>(["strip", "lstrip", "rstrip"]);
/** The template globals the rerouted calls name: a prefix no template's own variable uses. */
const GLOBAL_PREFIX = "__acc_python_";

interface Node {
  type?: string;
  [key: string]: unknown;
}

/**
 * Rewrites, in place, every `x.strip(…)`, `x.lstrip(…)` and `x.rstrip(…)` call of a parsed template into
 * a call of the matching function of `stripGlobals()` with `x` as its first argument.
 */
export function pythonStringMethods(program: object): void {
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) return value.forEach(visit);
    const node = value as Node;
    const callee = node.callee as Node | undefined;
    const property = callee?.property as Node | undefined;
    if (node.type === "CallExpression" && callee?.type === "MemberExpression" && callee.computed === false && property?.type === "Identifier" && SIDES.has(property.value as string)) {
      node.args = [callee.object, ...(node.args as unknown[])];
      node.callee = { type: "Identifier", value: `${GLOBAL_PREFIX}${property.value as string}` };
    }
    for (const child of Object.values(node)) visit(child);
  };
  visit(program);
}

/** The functions rewritten calls name, to set in the template's environment. */
export function stripGlobals(): Record<string, (text: unknown, chars?: unknown) => string> {
  const method = (side: Side) => (text: unknown, chars?: unknown) => {
    if (typeof text !== "string") throw new ChatTemplateError(`${side}() is called on ${text === null || text === undefined ? "none" : typeof text}, not a string`);
    if (chars !== undefined && chars !== null && typeof chars !== "string") throw new ChatTemplateError(`${side}() takes a string of characters, got ${typeof chars}`);
    return pythonStrip(side, text, chars);
  };
  return Object.fromEntries([...SIDES].map((side) => [`${GLOBAL_PREFIX}${side}`, method(side as Side)]));
}
