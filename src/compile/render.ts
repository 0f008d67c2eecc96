/** How the compiled prompt reads; the instruction matches the public ACC samples' opening. */
export const INSTRUCTION =
  "Please reason based on the following documents and answer the question. Answer directly: you cannot use tools, and everything you need is in the documents.";

export type QuestionPosition = "before" | "after" | "both";

/**
 * The user message is prefix + blocks + suffix. Each part starts and ends at a place where BPE
 * pre-tokenizers always split (a block opens with `<` and closes with `>` + blank line; piece text is
 * trimmed), so the prompt's token count is the sum of its parts' counts.
 */
export function promptPrefix(question: string, position: QuestionPosition): string {
  return position === "after" ? `${INSTRUCTION}\n\n` : `${INSTRUCTION}\n\nQuestion: ${question.trim()}\n\n`;
}

export function promptSuffix(question: string, position: QuestionPosition): string {
  return position === "before" ? "Answer the question given before the documents." : `Question: ${question.trim()}`;
}

export function blockHeader(index: number, source: string): string {
  return `<document index="${index}" source="${source.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", " ")}">\n`;
}

/** The piece text and the closing tag; independent of the block's position. */
export function blockBody(text: string): string {
  return `${text.trim().replaceAll("</document>", "</ document>")}\n</document>\n\n`;
}
