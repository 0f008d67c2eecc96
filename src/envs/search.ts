import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import MiniSearch from "minisearch";
import { readJsonLines } from "../import/probe.js";
import { DEFAULT_MAX_LINE_BYTES } from "../io/lines.js";
import type { RolloutTask } from "../records/rollout.js";
import { DEFAULT_QA_OPTIONS, verifyQa } from "../verify/index.js";
import { capText, type EnvSession, type Environment, type FinalAnswer, integerArgument, type RewardOutcome, stringArgument, type ToolResult, type ToolSpec } from "./types.js";
import { UsageError } from "../errors/acc-error.js";

export interface SearchEnvOptions {
  /** JSONL corpus: one document per line, `{"id", "text", "title"?, "url"?}`. */
  corpus: string;
  /** Results of a search when the agent gives no k, and the most it may ask for. */
  defaultK: number;
  maxK: number;
  /** Characters of one tool result shown to the agent. */
  maxChars: number;
}

export const DEFAULT_SEARCH_OPTIONS: Omit<SearchEnvOptions, "corpus"> = { defaultK: 5, maxK: 20, maxChars: 6_000 };

interface Document {
  id: string;
  title: string;
  text: string;
  url?: string;
}

const SNIPPET_CHARS = 240;

const TOOLS: ToolSpec[] = [
  {
    name: "search",
    description: "Search the document collection (BM25). Returns document ids, titles and the start of each document.",
    parameters: {
      type: "object",
      properties: { query: { type: "string", description: "keywords" }, k: { type: "integer", description: "how many results (default 5)" } },
      required: ["query"],
    },
  },
  {
    name: "open",
    description: "Read one document in full.",
    parameters: { type: "object", properties: { doc_id: { type: "string", description: "an id from search results" } }, required: ["doc_id"] },
  },
];

const SYSTEM_PROMPT = [
  "You answer questions using a collection of documents. Search it and open documents with the tools.",
  "When you know the answer, reply without calling a tool, with the answer inside <answer></answer>: a short phrase, not a sentence.",
].join("\n");

/** A corpus line that is not a document. */
export class CorpusError extends UsageError {
  override name = "CorpusError";
}

/** The search environment: a local JSONL corpus behind a BM25 index (minisearch), with search and open. */
export class SearchEnvironment implements Environment {
  readonly name = "search" as const;
  readonly domain = "search" as const;
  readonly tools = TOOLS;
  readonly systemPrompt = SYSTEM_PROMPT;

  private constructor(
    private readonly options: SearchEnvOptions,
    private readonly documents: Map<string, Document>,
    private readonly index: MiniSearch<Document>,
  ) {}

  /** Reads and indexes the corpus; a bad line is an error naming the file and line. */
  static async load(options: SearchEnvOptions): Promise<SearchEnvironment> {
    const documents = new Map<string, Document>();
    for await (const line of readJsonLines(options.corpus, DEFAULT_MAX_LINE_BYTES)) {
      const where = `${options.corpus} line ${line.line}`;
      if ("error" in line) throw new CorpusError(`${where}: ${line.detail}`);
      const document = documentOf(line.value, where);
      if (documents.has(document.id)) throw new CorpusError(`${where}: document id ${JSON.stringify(document.id)} appears twice`);
      documents.set(document.id, document);
    }
    if (documents.size === 0) throw new CorpusError(`${options.corpus}: the corpus has no documents`);
    const index = new MiniSearch<Document>({ fields: ["title", "text"], storeFields: [], idField: "id" });
    index.addAll([...documents.values()]);
    return new SearchEnvironment(options, documents, index);
  }

  checkTask(task: RolloutTask): string | undefined {
    return task.answer === undefined ? "a search task needs answer" : undefined;
  }

  trajectoryTask(task: RolloutTask) {
    return { ground_truth: task.answer ?? null };
  }

  async open(task: RolloutTask): Promise<EnvSession> {
    return {
      call: async (name, args) => this.call(name, args),
      reward: async (final) => reward(task, final),
      close: async () => {},
    };
  }

  async fingerprint(): Promise<unknown> {
    const info = await stat(this.options.corpus);
    return { corpus: resolve(this.options.corpus), size: info.size, mtime: info.mtimeMs, options: this.options };
  }

  async close(): Promise<void> {}

  /** The ids of the best `k` documents for `query`, best first (ties by id, so results are deterministic). */
  search(query: string, k: number): { id: string; score: number }[] {
    const hits = this.index.search(query, { combineWith: "OR", prefix: false, fuzzy: false });
    return hits
      .map((hit) => ({ id: String(hit.id), score: hit.score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, k);
  }

  private call(name: string, args: Record<string, unknown>): ToolResult {
    switch (name) {
      case "search": {
        const query = stringArgument(args, "query", name);
        if (typeof query !== "string") return query;
        const k = integerArgument(args, "k", name, this.options.defaultK);
        if (typeof k !== "number") return k;
        const hits = this.search(query, Math.max(1, Math.min(k, this.options.maxK)));
        if (hits.length === 0) return { content: `no document matches ${JSON.stringify(query)}`, isError: false };
        const lines = hits.map((hit, i) => {
          const doc = this.documents.get(hit.id)!;
          return `${i + 1}. [${doc.id}] ${doc.title}\n${snippet(doc.text)}`;
        });
        return { content: capText(lines.join("\n\n"), this.options.maxChars), isError: false };
      }
      case "open": {
        const id = stringArgument(args, "doc_id", name);
        if (typeof id !== "string") return id;
        const doc = this.documents.get(id);
        if (!doc) return { content: `no document with id ${JSON.stringify(id)} (ids come from search results)`, isError: true };
        const head = [`[${doc.id}] ${doc.title}`, ...(doc.url ? [doc.url] : [])].join("\n");
        return { content: capText(`${head}\n\n${doc.text}`, this.options.maxChars), isError: false };
      }
      default:
        return { content: `unknown tool ${JSON.stringify(name)}; the tools are ${TOOLS.map((t) => t.name).join(", ")}`, isError: true };
    }
  }
}

function reward(task: RolloutTask, final: FinalAnswer): RewardOutcome {
  const verdict = verifyQa(final.answer, task.answer!, DEFAULT_QA_OPTIONS);
  return { reward: verdict.pass ? 1 : 0, success: verdict.pass, reason: verdict.reason, detail: verdict.detail };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

function documentOf(value: unknown, where: string): Document {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CorpusError(`${where}: expected a JSON object`);
  const row = value as Record<string, unknown>;
  const id = typeof row["id"] === "number" ? String(row["id"]) : row["id"];
  if (typeof id !== "string" || id === "") throw new CorpusError(`${where}: "id" must be a non-empty string or a number`);
  if (typeof row["text"] !== "string") throw new CorpusError(`${where}: "text" must be a string`);
  if (row["title"] !== undefined && typeof row["title"] !== "string") throw new CorpusError(`${where}: "title" must be a string`);
  const document: Document = { id, title: (row["title"] as string | undefined) ?? "", text: row["text"] };
  if (typeof row["url"] === "string") document.url = row["url"];
  return document;
}
