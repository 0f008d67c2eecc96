import type { LlmClient } from "../llm/types.js";

/** How much of the gold diff the model sees (it explains the change; it is never to be quoted). */
export const MAX_PROMPT_DIFF_CHARS = 16_000;

const SYSTEM = [
  "You write the problem statement of one software engineering task, in the style of a GitHub issue.",
  "You are shown what the developers wrote about a change (pull request title and description, commit messages, issues) and the change itself.",
  "Describe the problem to solve or the behaviour to add: what is wrong or missing, how it shows, what the result must do, and any constraint a solution must respect.",
  "Never reveal the solution: do not quote or paraphrase code from the diff, do not name the functions, variables or lines it adds, do not say how to implement it.",
  "Do not mention the pull request, the diff, tests, or that you were given a solution.",
  "Answer with the statement only, in plain prose (Markdown allowed), at most 250 words.",
].join(" ");

export interface StatementRequest {
  repo: string;
  /** The statement built from the offline texts (title, description, commits, issues). */
  text: string;
  /** The stage's gold patch and test patch. */
  diff: string;
}

/** Writes a stage's problem statement with a model; the caller applies the leak filter to what comes back. */
export interface StatementWriter {
  write(request: StatementRequest): Promise<string>;
}

/**
 * A StatementWriter over the project's LLM client (its cache, retries and circuit breaker apply): one
 * deterministic request (temperature 0, fixed seed) per stage.
 */
export function llmStatementWriter(client: LlmClient, model: string): StatementWriter {
  return {
    async write({ repo, text, diff }) {
      const shown = diff.length > MAX_PROMPT_DIFF_CHARS ? `${diff.slice(0, MAX_PROMPT_DIFF_CHARS)}\n[… diff cut at ${MAX_PROMPT_DIFF_CHARS} characters]` : diff;
      const user = `Repository: ${repo}\n\nWhat the developers wrote:\n<<<\n${text}\n>>>\n\nThe change (for your understanding only, never to be quoted):\n<<<\n${shown}\n>>>`;
      const result = await client.chat({
        model,
        temperature: 0,
        seed: 0,
        max_tokens: 1024,
        messages: [
          { role: "system", content: SYSTEM },
          { role: "user", content: user },
        ],
      });
      return stripFence((result.content ?? "").trim());
    },
  };
}

/** A reply wrapped whole in one fenced block is unwrapped. */
function stripFence(text: string): string {
  const match = /^```[\w-]*\n([\s\S]*?)\n?```$/.exec(text);
  return match ? match[1]!.trim() : text;
}
