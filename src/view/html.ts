/**
 * HTML built only through the `html` tag: every interpolated value is escaped unless it is itself
 * `Html` made by the tag (or by `trusted` for the viewer's own constants). Record content can therefore
 * only ever become text: it cannot open a tag, close an attribute or start a script. The records acc
 * writes are hostile input (an agent log holds whatever the agent read), and test/view checks this in
 * a real browser with hostile payloads.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as HTML text or as a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: Value): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup the viewer itself wrote (never record content). */
export function trusted(text: string): Html {
  return new Html(text);
}

export function joinHtml(parts: readonly Value[], separator = ""): Html {
  return new Html(parts.map(render).join(separator));
}
