import type { Trajectory } from "../../records/trajectory.js";
import { argumentText, callsWithResults, nameTokens, PieceSet } from "./common.js";

const OPEN_TOKENS = new Set(["open", "visit", "fetch", "browse", "scrape", "crawl", "read", "click", "page", "webpage", "url", "get", "goto", "navigate", "jina"]);
const SEARCH_TOKENS = new Set(["search", "google", "bing", "serper", "duckduckgo", "tavily", "exa", "query"]);
const URL_KEYS = ["url", "link", "href", "uri", "page", "target", "website"];
const URL_PATTERN = /https?:\/\/[^\s"'<>\]]+/;

interface Candidate {
  url: string | undefined;
  text: string;
  label: string;
}

/**
 * Search agents: the full text of every page the agent opened is evidence; results its searches
 * returned but it never opened are distractors. When the agent opened nothing (Search-R1-style
 * agents whose search results already hold the documents), the results are the evidence.
 */
export function extractSearchEvidence(trajectory: Trajectory): PieceSet {
  const pieces = new PieceSet(trajectory.id);
  const opened = new Set<string>();
  const candidates: { candidate: Candidate; messageIndex: number; callId: string }[] = [];

  for (const { call, result } of callsWithResults(trajectory)) {
    if (result === undefined || result.isError || result.content.trim() === "") continue;
    const tokens = nameTokens(call.name);
    const url = openedUrl(call, tokens);
    if (url !== undefined) {
      opened.add(normaliseUrl(url));
      pieces.add({ kind: "page", source: url, text: result.content, role: "evidence", messageIndex: result.messageIndex, callId: call.id });
    } else if (tokens.some((t) => SEARCH_TOKENS.has(t))) {
      for (const candidate of parseResults(result.content)) candidates.push({ candidate, messageIndex: result.messageIndex, callId: call.id });
    }
  }
  const role = opened.size > 0 ? "distractor" : "evidence";
  for (const { candidate, messageIndex, callId } of candidates) {
    if (candidate.url !== undefined && opened.has(normaliseUrl(candidate.url))) continue;
    pieces.add({ kind: "search-result", source: candidate.url ?? candidate.label, text: candidate.text, role, messageIndex, callId });
  }
  return pieces;
}

function openedUrl(call: Parameters<typeof argumentText>[0], tokens: string[]): string | undefined {
  if (!tokens.some((t) => OPEN_TOKENS.has(t)) || tokens.includes("search")) return undefined;
  const text = argumentText(call, URL_KEYS);
  return text === undefined ? undefined : firstUrl(text);
}

/** The first URL in `text`; a closing parenthesis ends it unless the URL opened one (`/wiki/X_(y)`). */
export function firstUrl(text: string): string | undefined {
  let url = URL_PATTERN.exec(text)?.[0];
  if (url === undefined) return undefined;
  while (url.endsWith(")") && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) url = url.slice(0, -1);
  return url.replace(/[.,;:]+$/, "");
}

export function normaliseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = "";
    return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, "")}${parsed.search}`;
  } catch {
    return url.replace(/\/+$/, "");
  }
}

/** Result entries of a search call: JSON results (link + title/snippet) or numbered / blank-line separated text. */
export function parseResults(content: string): Candidate[] {
  const trimmed = content.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      const found: Candidate[] = [];
      collectJsonResults(JSON.parse(trimmed), found);
      if (found.length > 0) return found;
    } catch {
      // not JSON after all: read it as text
    }
  }
  const blocks = splitEntries(trimmed);
  return blocks.map((block, i) => {
    const url = firstUrl(block);
    return { url, text: block, label: url ?? `result ${i + 1}: ${block.split("\n")[0]!.slice(0, 80)}` };
  });
}

function collectJsonResults(value: unknown, out: Candidate[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectJsonResults(item, out);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const record = value as Record<string, unknown>;
  const url = ["link", "url", "href"].map((k) => record[k]).find((v): v is string => typeof v === "string");
  const words = ["title", "snippet", "content", "description", "text", "body"]
    .map((k) => record[k])
    .filter((v): v is string => typeof v === "string");
  if (url !== undefined && words.length > 0) {
    out.push({ url, text: [...words, url].join("\n"), label: url });
    return;
  }
  for (const child of Object.values(record)) collectJsonResults(child, out);
}

const ENTRY_START = /^\s*(?:\d+[.)]\s|\[\d+\]|Doc(?:ument)?\s*\d+|[-*•]\s)/i;

function splitEntries(text: string): string[] {
  const lines = text.split("\n");
  const numbered = lines.filter((l) => ENTRY_START.test(l)).length;
  const blocks: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    const startsEntry = numbered >= 2 ? ENTRY_START.test(line) : line.trim() === "";
    if (startsEntry && current.some((l) => l.trim() !== "")) {
      blocks.push(current.join("\n").trim());
      current = [];
    }
    if (numbered >= 2 || line.trim() !== "") current.push(line);
  }
  if (current.some((l) => l.trim() !== "")) blocks.push(current.join("\n").trim());
  return blocks;
}
