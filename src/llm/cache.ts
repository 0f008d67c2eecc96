import { createHash } from "node:crypto";
import { open, readdir, readFile } from "node:fs/promises";
import { makeDirectory } from "../io/directory.js";
import { join } from "node:path";
import { parseCompletion } from "./response.js";
import type { ChatRequest, ChatResult } from "./types.js";

/** Part of every key: bumped when the key derivation changes, so that no old entry is found for a new key. */
const KEY_VERSION = "acc-llm-cache/2";

/**
 * The entry layouts, named in each entry's `version`: a reply as received (`reply`: the response's JSON
 * text, parsed again when read), or an answer as parsed (`result`: a streamed answer, whose chunks are no
 * reply; and every entry written before session 11). Both are read; a layout not listed is a miss.
 */
const REPLY_LAYOUT = "acc-llm-cache/3";
const PARSED_LAYOUT = "acc-llm-cache/2";

/** JSON with object keys sorted at every depth (undefined fields dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  // a sorted copy (strings shared) and one native stringify: faster, and far less garbage, than
  // stringifying piece by piece
  return JSON.stringify(sortedCopy(value));
}

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // insertion sort in place: objects have a handful of keys, and Array#sort allocates
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  const sorted: Record<string, unknown> = {};
  for (const key of keys) sorted[key] = sortedCopy(record[key]);
  return sorted;
}

/**
 * The cache key of a request: sha256 of the endpoint and the request's wire body in canonical JSON
 * (requestBody: every field, `extra_body` merged in) without the stream flags, so a streamed and a
 * plain answer to the same request are the same entry. The API key is not part of it: rotating a key
 * keeps the cache.
 */
export function requestKey(endpoint: string, request: ChatRequest): string {
  return keyOfBody(endpoint, canonicalJson(requestBody(request, false)));
}

/** The key of a plain (not streamed) request whose canonical JSON body (or its UTF-8) is `body`. */
export function keyOfBody(endpoint: string, body: string | Buffer): string {
  if (endpoint !== keyed.endpoint) keyed = { endpoint, prefix: `${KEY_VERSION}\n${endpoint.replace(/\/+$/, "")}\n` };
  return createHash("sha256").update(keyed.prefix).update(body).digest("hex");
}

/** The key's prefix for the last endpoint asked (a client asks one endpoint, once per request). */
let keyed = { endpoint: "", prefix: `${KEY_VERSION}\n\n` };

/** The wire body: the request's fields, `extra_body` merged at the top level, and the stream flags. */
export function requestBody(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field in request) if (field !== "extra_body" && field !== "stream") body[field] = request[field as keyof ChatRequest];
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = { include_usage: true };
  }
  return request.extra_body ? Object.assign(body, request.extra_body) : body;
}

export type CachedResult = Omit<ChatResult, "cached" | "attempts" | "finish">;

/**
 * What an entry stores: a plain answer's reply as received (its JSON text, on one line), or a streamed
 * answer as parsed. A reply takes one copy of its text where the parsed answer held the content and the
 * reasoning twice (the fields, and the raw reply), and costs no serialisation.
 */
export type CacheEntry = { reply: string } | { result: CachedResult };

interface Location {
  file: string;
  offset: number;
  length: number;
}

/** Told when an entry given to `add` is on disk, or could not be written. */
export interface PackWaiter {
  written(): void;
  notWritten(error: unknown): void;
}

interface Pending {
  key: string;
  /** The entry's line, without its newline: a flat string (a newline appended would make a rope, flattened again to be measured). */
  line: string;
  waiter: PackWaiter;
}

/** Caches opened by this process, so two caches on one folder never name a pack alike. */
let instances = 0;

/** Every entry line starts with its key, so the index is built without parsing the answers. */
const LINE_START = '{"key":"';
const KEY_LENGTH = 64;

/** A pack takes answers until it passes this size; the next answers start a new one (the index reads a pack whole). */
const PACK_BYTES = 64 * 1024 * 1024;

/**
 * Successful answers on disk. Entries are written in packs: JSONL files (`<pid>-<time>-<cache>-<n>.jsonl`, one
 * `{"key", "version", "reply"}` or `{"key", "version", "result"}` line per answer: see CacheEntry), each
 * written by one cache only, answers appended to it until it passes PACK_BYTES. `put` resolves once its
 * answer's line is written, so an answer the caller has seen survives a crash; answers finishing together
 * are appended in one write (group commit). A pack is reopened for each write rather than made anew:
 * creating a file (and renaming it into place) cost ~0.6–1 ms of CPU here, 20–30 times the write. A line is complete only with its newline: one cut short by a kill
 * or a failed write is not indexed (a failed write also ends its pack). The index of keys is read once,
 * at first use: answers that another process writes afterwards are seen at the next start. Only answers
 * are stored, never requests (prompts can be megabytes) nor the API key.
 */
export class ResponseCache {
  private index: Promise<Map<string, Location>> | undefined;
  /** The index, once read. */
  private loaded: Map<string, Location> | undefined;
  private pending: Pending[] = [];
  private flushing = false;
  private packs = 0;
  /** The pack answers are appended to, and its size; none before the first write and after a failed one. */
  private pack: { file: string; size: number } | undefined;
  private readonly packPrefix = `${process.pid}-${Date.now().toString(36)}-${instances++}`;

  constructor(readonly dir: string) {}

  /** The stored answer, or undefined when absent or unreadable. */
  async get(key: string): Promise<CachedResult | undefined> {
    const location = (await this.loadIndex()).get(key);
    if (!location) return undefined;
    const bytes = Buffer.alloc(location.length);
    const handle = await open(join(this.dir, location.file), "r");
    try {
      await handle.read(bytes, 0, location.length, location.offset);
    } finally {
      await handle.close();
    }
    try {
      const entry = JSON.parse(bytes.toString("utf8")) as { key: string; version: string; reply?: unknown; result?: CachedResult };
      if (entry.key !== key) return undefined;
      if (entry.version === REPLY_LAYOUT) return { ...parseCompletion(entry.reply), raw: entry.reply };
      return entry.version === PARSED_LAYOUT ? entry.result : undefined;
    } catch {
      // unreadable, or a reply whose shape parses no more: a miss, and the request is sent again
      return undefined;
    }
  }

  /**
   * Whether an entry is stored under `key`, without waiting: undefined until the index has been read (then
   * `get` waits for it).
   */
  has(key: string): boolean | undefined {
    return this.loaded?.has(key);
  }

  /** Stores an answer; resolves once it is on disk. */
  put(key: string, entry: CacheEntry): Promise<void> {
    checkKey(key);
    return new Promise((resolve, reject) => this.add(key, entry, { written: resolve, notWritten: reject }));
  }

  /**
   * Stores an answer and tells `waiter` once it is on disk: `put` without a promise per answer. A reply is
   * JSON text the caller has parsed, without a line break (JSON has them only between tokens: a reply
   * that has some is given serialised again).
   */
  add(key: string, entry: CacheEntry, waiter: PackWaiter): void {
    checkKey(key);
    let line: string;
    if ("reply" in entry) {
      // invariant: a line break would cut the entry in two, and neither half would be read
      if (entry.reply.includes("\n") || entry.reply.includes("\r")) throw new Error("a cached reply must be JSON text on one line");
      line = `${LINE_START}${key}","version":"${REPLY_LAYOUT}","reply":${entry.reply}}`;
    } else {
      line = JSON.stringify({ key, version: PARSED_LAYOUT, result: entry.result });
    }
    this.pending.push({ key, line, waiter });
    if (!this.flushing) {
      this.flushing = true;
      // one turn of the event loop lets the answers arriving together join the same pack
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.writePack(batch);
      } catch (error) {
        for (const entry of batch) entry.waiter.notWritten(error);
        continue;
      }
      for (const entry of batch) entry.waiter.written();
    }
    this.flushing = false;
  }

  private async writePack(batch: Pending[]): Promise<void> {
    const index = await this.loadIndex();
    if (this.packs === 0) await makeDirectory(this.dir);
    const bytes = Buffer.from(`${batch.map((entry) => entry.line).join("\n")}\n`);
    let pack = this.pack;
    if (!pack || pack.size >= PACK_BYTES) pack = { file: `${this.packPrefix}-${this.packs++}.jsonl`, size: 0 };
    this.pack = undefined;
    // a new pack is made only here ("wx": never another's); an existing one is reopened, and if it has
    // gone (its folder removed) the write fails rather than make a pack that starts mid-way
    const handle = await open(join(this.dir, pack.file), pack.size === 0 ? "wx" : "r+");
    try {
      for (let written = 0; written < bytes.length; ) written += (await handle.write(bytes, written, bytes.length - written, pack.size + written)).bytesWritten;
    } finally {
      await handle.close();
    }
    let offset = pack.size;
    for (const entry of batch) {
      const length = Buffer.byteLength(entry.line);
      if (!index.has(entry.key)) index.set(entry.key, { file: pack.file, offset, length });
      offset += length + 1;
    }
    this.pack = { file: pack.file, size: offset };
  }

  private loadIndex(): Promise<Map<string, Location>> {
    this.index ??= readIndex(this.dir).then((index) => (this.loaded = index));
    return this.index;
  }
}

function checkKey(key: string): void {
  // invariant: keys come from keyOfBody, never from input
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`cache keys are sha256 hex digests, got ${JSON.stringify(key)}`);
}

/** Key → location of every entry in the packs of `dir`; the first pack in name order wins a duplicate key. */
async function readIndex(dir: string): Promise<Map<string, Location>> {
  const index = new Map<string, Location>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return index;
    throw error;
  }
  for (const file of names.filter((name) => name.endsWith(".jsonl") && !name.startsWith(".")).sort()) {
    const bytes = await readFile(join(dir, file));
    let offset = 0;
    while (offset < bytes.length) {
      const end = bytes.indexOf(10, offset);
      // cut short by a kill or a failed write: not an entry
      if (end === -1) break;
      if (bytes.toString("latin1", offset, offset + LINE_START.length) === LINE_START) {
        const key = bytes.toString("latin1", offset + LINE_START.length, offset + LINE_START.length + KEY_LENGTH);
        if (!index.has(key)) index.set(key, { file, offset, length: end - offset });
      }
      offset = end + 1;
    }
  }
  return index;
}
