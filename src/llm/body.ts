/** JSON of the deep-frozen messages serialised so far: they cannot change, so their text is reused. */
const frozenJson = new WeakMap<object, string>();

/**
 * `JSON.stringify(body)`, byte for byte, with each deep-frozen message of `body.messages` serialised once
 * and its text reused by later requests: an agent loop sends its whole history at every step, and freezes
 * the messages it keeps (src/rollout/episode.ts), so only the step's new messages are serialised.
 */
export function bodyJson(body: Record<string, unknown>): string {
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0 || !Object.isFrozen(messages[0])) return JSON.stringify(body);
  let text = "{";
  for (const field of Object.keys(body)) {
    const value = field === "messages" ? messagesJson(messages) : JSON.stringify(body[field]);
    if (value === undefined) continue; // as JSON.stringify drops undefined fields
    if (text.length > 1) text += ",";
    text += `${JSON.stringify(field)}:${value}`;
  }
  return `${text}}`;
}

function messagesJson(messages: readonly unknown[]): string {
  let text = "[";
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    let json = typeof message === "object" && message !== null ? frozenJson.get(message) : undefined;
    if (json === undefined) {
      json = JSON.stringify(message) ?? "null";
      if (isDeepFrozen(message)) frozenJson.set(message as object, json);
    }
    text += i === 0 ? json : `,${json}`;
  }
  return `${text}]`;
}

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const key in value) if (!isDeepFrozen((value as Record<string, unknown>)[key])) return false;
  return true;
}
