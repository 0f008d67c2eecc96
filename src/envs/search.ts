import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import type { RolloutTask } from "../records/rollout.js";
import { siblingModule, WorkerPool } from "../run/worker-pool.js";
import { DEFAULT_QA_OPTIONS, verifyQa } from "../verify/index.js";
import { CorpusError, ensureSearchIndex, isSqliteFile, matchExpression, readMeta, SEARCH_INDEX_FORMAT } from "./search-index.js";
import type { SearchHit, SearchTask } from "./search-worker.js";
import { capText, DEFAULT_MAX_CHARS, type EnvSession, type Environment, type FinalAnswer, integerArgument, type RewardOutcome, stringArgument, type ToolResult, type ToolSpec } from "./types.js";

export { CorpusError };

export interface SearchEnvOptions {
  /** JSONL corpus: one document per line, `{"id", "text", "title"?, "url"?}`; or an index file built from one. */
  corpus: string;
  /** Where the index is kept (default: beside the corpus, see defaultIndexPath). */
  index?: string;
  /** Results of a search when the agent gives no k, and the most it may ask for. */
  defaultK: number;
  maxK: number;
  /** Characters of one tool result shown to the agent. */
  maxChars: number;
  /** Worker threads running searches. */
  workers: number;
}

export const DEFAULT_SEARCH_OPTIONS: Omit<SearchEnvOptions, "corpus"> = { defaultK: 5, maxK: 20, maxChars: DEFAULT_MAX_CHARS, workers: 2 };

interface DocumentRow {
  id: string;
  title: string;
  url: string | null;
  text: string;
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

/**
 * The search environment: a JSONL corpus behind a BM25 index kept on disk (SQLite FTS5, see
 * search-index.ts), with search and open. Searches run on worker threads, so a slow one (a word in every
 * document of a large corpus) never holds up the other episodes' steps; `open` reads one row by id.
 */
export class SearchEnvironment implements Environment {
  readonly name = "search" as const;
  readonly domain = "search" as const;
  readonly tools = TOOLS;
  readonly systemPrompt = SYSTEM_PROMPT;

  private readonly document: Database.Statement<[string], DocumentRow>;

  private constructor(
    private readonly options: SearchEnvOptions,
    private readonly indexPath: string,
    private readonly db: Database.Database,
    private readonly workers: WorkerPool<SearchHit[]>,
  ) {
    this.document = db.prepare("SELECT id, title, url, text FROM docs WHERE id = ?");
  }

  /**
   * Opens the corpus's index, building it first when it is missing or older than the corpus (a bad line
   * is an error naming the file and line). `corpus` may also be an index file itself.
   */
  static async load(options: SearchEnvOptions): Promise<SearchEnvironment> {
    let indexPath: string;
    if (isSqliteFile(options.corpus)) {
      const meta = readMeta(options.corpus);
      if (meta?.format !== SEARCH_INDEX_FORMAT) throw new CorpusError(`${options.corpus}: not a search index of this version of acc: give the JSONL corpus instead`);
      indexPath = options.corpus;
    } else {
      indexPath = (await ensureSearchIndex(options.corpus, options.index)).path;
    }
    const db = new Database(indexPath, { readonly: true, fileMustExist: true });
    const workers = new WorkerPool<SearchHit[]>(siblingModule(import.meta.url, "search-worker"), Math.max(1, options.workers), { index: indexPath, snippetChars: SNIPPET_CHARS });
    return new SearchEnvironment(options, indexPath, db, workers);
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
    const { index: _index, workers: _workers, ...options } = this.options;
    return { corpus: resolve(this.options.corpus), size: info.size, mtime: info.mtimeMs, index: SEARCH_INDEX_FORMAT, options };
  }

  async close(): Promise<void> {
    await this.workers.close();
    this.db.close();
  }

  /** The best `k` documents for `query`, best first (equal scores by id, so results are deterministic). */
  async search(query: string, k: number): Promise<SearchHit[]> {
    const match = matchExpression(query);
    if (match === undefined) return [];
    return this.workers.run({ match, k } satisfies SearchTask);
  }

  /** Where the index is: the file that was opened. */
  get index(): string {
    return this.indexPath;
  }

  private async call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    switch (name) {
      case "search": {
        const query = stringArgument(args, "query", name);
        if (typeof query !== "string") return query;
        const k = integerArgument(args, "k", name, this.options.defaultK);
        if (typeof k !== "number") return k;
        const hits = await this.search(query, Math.max(1, Math.min(k, this.options.maxK)));
        if (hits.length === 0) return { content: `no document matches ${JSON.stringify(query)}`, isError: false };
        const lines = hits.map((hit, i) => `${i + 1}. [${hit.id}] ${hit.title}\n${hit.snippet}`);
        return { content: capText(lines.join("\n\n"), this.options.maxChars), isError: false };
      }
      case "open": {
        // numeric ids are written as numbers by many agents ({"doc_id": 12})
        const given = args["doc_id"];
        const id = typeof given === "number" && Number.isFinite(given) ? String(given) : stringArgument(args, "doc_id", name);
        if (typeof id !== "string") return id;
        const doc = this.document.get(id);
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
