import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChatRequest, ChatResult } from "./types.js";

/** Bumped when the key derivation or the entry layout changes, so old entries are never misread. */
const CACHE_VERSION = "acc-llm-cache/1";

/** JSON with object keys sorted at every depth (undefined fields dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(",")}}`;
}

/**
 * The cache key of a request: sha256 of the canonical JSON of the endpoint and every request field but
 * `stream` (a streamed and a plain answer to the same request are the same answer). The API key is not
 * part of it: rotating a key keeps the cache.
 */
export function requestKey(endpoint: string, request: ChatRequest): string {
  const { stream: _transport, ...fields } = request;
  return createHash("sha256")
    .update(canonicalJson({ version: CACHE_VERSION, endpoint: endpoint.replace(/\/+$/, ""), request: fields }))
    .digest("hex");
}

export type CachedResult = Omit<ChatResult, "cached" | "attempts">;

interface Entry {
  version: string;
  key: string;
  result: CachedResult;
}

/**
 * Successful answers on disk, one file per request: `<dir>/<key[0:2]>/<key>.json`, written to a temporary
 * name and renamed into place so a crash never leaves a half entry. Only the answer is stored, not the
 * request (prompts can be megabytes) and never the API key.
 */
export class ResponseCache {
  private readonly madeDirs = new Set<string>();
  private written = 0;

  constructor(readonly dir: string) {}

  pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The stored answer, or undefined when absent or unreadable (an unreadable entry is then rewritten). */
  async get(key: string): Promise<CachedResult | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      const entry = JSON.parse(text) as Entry;
      return entry.version === CACHE_VERSION && entry.key === key ? entry.result : undefined;
    } catch {
      return undefined;
    }
  }

  async put(key: string, result: CachedResult): Promise<void> {
    const shard = join(this.dir, key.slice(0, 2));
    if (!this.madeDirs.has(shard)) {
      await mkdir(shard, { recursive: true });
      this.madeDirs.add(shard);
    }
    const entry: Entry = { version: CACHE_VERSION, key, result };
    const temp = join(shard, `.${key}.${process.pid}.${this.written++}.tmp`);
    try {
      await writeFile(temp, JSON.stringify(entry));
      await rename(temp, this.pathOf(key));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
