const ANSWER = /<answer>([\s\S]*?)<\/answer>/g;

/** The text of the last complete `<answer>…</answer>`, trimmed. */
export function lastAnswerTag(text: string): string | undefined {
  let last: string | undefined;
  for (const match of text.matchAll(ANSWER)) last = match[1];
  return last?.trim();
}

/** The content of the last `\boxed{…}` whose braces close, nested braces included, trimmed. */
export function lastBoxed(text: string): string | undefined {
  for (let at = text.lastIndexOf("\\boxed"); at !== -1; at = at === 0 ? -1 : text.lastIndexOf("\\boxed", at - 1)) {
    let i = at + "\\boxed".length;
    while (text[i] === " ") i++;
    if (text[i] !== "{") continue;
    const start = i + 1;
    let depth = 1;
    for (i = start; i < text.length && depth > 0; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    if (depth === 0) return text.slice(start, i - 1).trim();
  }
  return undefined;
}
