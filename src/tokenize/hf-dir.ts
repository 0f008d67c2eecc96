import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { tiktokenRanksFrom } from "./bpe-ranks.js";
import { ChatTemplate } from "./chat-template.js";
import { HfTokenizersCodec } from "./hf-tokenizers.js";
import type { RankTable } from "./rank-table.js";
import { RankTableCodec, ranksCodec } from "./rank-table-codec.js";
import { type ChatTemplates, LoadedTokenizer, type TokenCodec } from "./tokenizer.js";
import type { ConfigToken, TokenizerConfig, TokenizerJson } from "./tokenizer-json.js";
import type { SpecialToken, SpecialTokens, Tokenizer, TokenizerInfo } from "./types.js";
import { damagedBundle, notATokenizer } from "./errors.js";
import { isRecord } from "../json.js";

export interface LoadOptions {
  /** The tokenizer's name in metadata; default: the directory's name. */
  name?: string;
}

/** How the bundled tokenizers load: pinned to a hash whose merges the test suite has verified. */
export interface PinnedLoadOptions extends LoadOptions {
  sha256: string;
}

const NAMED_TOKENS = ["bos", "eos", "pad", "unk"] as const;

/**
 * Loads a Hugging Face tokenizer directory: `tokenizer.json` (or `tokenizer.json.gz`), and when
 * present `tokenizer_config.json` (special tokens, chat template) and `chat_template.jinja` (which
 * takes precedence over the config's template, as in transformers). Byte-level BPE tokenizers run
 * through tiktoken with converted ranks when that is provably exact; others through
 * @huggingface/tokenizers (`info.backend`, `info.fallbackReason`).
 */
export async function loadTokenizer(dir: string, options: LoadOptions = {}): Promise<Tokenizer> {
  return loadDirectory(dir, options, undefined);
}

export async function loadPinnedTokenizer(dir: string, options: PinnedLoadOptions): Promise<Tokenizer> {
  return loadDirectory(dir, options, options.sha256);
}

async function loadDirectory(dir: string, options: LoadOptions, pinnedSha256: string | undefined): Promise<Tokenizer> {
  const { path: jsonPath, bytes } = await readTokenizerJson(dir);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (pinnedSha256 !== undefined && sha256 !== pinnedSha256) {
    throw damagedBundle(`${jsonPath}: sha256 ${sha256} is not the pinned ${pinnedSha256}; the bundled file is damaged (reinstall acc)`);
  }
  // loaded here, not at the top: the bundled Qwen3 (loadStoredRanks) loads without zod
  const { asTokenizerJson, asTokenizerConfig } = await import("./tokenizer-json.js");
  const json = asTokenizerJson(parseJson(bytes, jsonPath), jsonPath);
  const { config, configPath } = await readConfig(dir, asTokenizerConfig);
  const addedTokens = new Map((json.added_tokens ?? []).map((token) => [token.content, token.id]));
  const conversion = tiktokenRanksFrom(json, { verifyMerges: pinnedSha256 === undefined });
  if (!conversion.ok) {
    return assemble(dir, config, configPath, addedTokens, hfCodec(json, config, jsonPath), { name: options.name, backend: "hf-tokenizers", sha256, fallbackReason: conversion.reason });
  }
  const codec = ranksCodec({ ...conversion, sourceSha256: sha256 }, { specialTokens: addedTokens, splitAddedTokens: true });
  return assemble(dir, config, configPath, addedTokens, codec, { name: options.name, backend: "tiktoken-ranks", sha256 });
}

/** A tokenizer.json converted to tiktoken ranks ahead of time (`tiktokenRanksFrom`), as stored beside it. */
export interface StoredRanks {
  pattern: string;
  nfc: boolean;
  ranks: string;
}

/**
 * Loads a tokenizer directory from ranks converted ahead of time (their rank table) instead of its
 * tokenizer.json: parsing and converting Qwen3's 11 MB tokenizer.json cost most of a second in every
 * process. The added tokens come from tokenizer_config.json's `added_tokens_decoder`; the caller vouches
 * that the ranks are the conversion of the tokenizer.json whose hash it gives (the bundled Qwen3's are
 * checked in the tests).
 */
export async function loadStoredRanks(dir: string, table: RankTable, options: { name: string; tokenizerSha256: string }): Promise<Tokenizer> {
  // acc's own file, bundled with the ranks: its special tokens checked by hand (this path loads no zod)
  const { config, configPath } = await readConfig(dir, (value) => value as TokenizerConfig);
  const decoder: unknown = config.added_tokens_decoder;
  if (!isRecord(decoder)) throw damagedBundle(`${configPath}: no "added_tokens_decoder", which a tokenizer loaded from stored ranks needs`);
  const addedTokens = new Map<string, number>();
  for (const [id, token] of Object.entries(decoder)) {
    if (!/^\d+$/.test(id) || !isRecord(token) || typeof token["content"] !== "string") throw damagedBundle(`${configPath}: added_tokens_decoder entry ${id} is not {content}`);
    addedTokens.set(token["content"], Number(id));
  }
  const codec = new RankTableCodec(table, { specialTokens: addedTokens, splitAddedTokens: true });
  return assemble(dir, config, configPath, addedTokens, codec, { name: options.name, backend: "tiktoken-ranks", sha256: options.tokenizerSha256 });
}

/** tokenizer_config.json when the folder has one, parsed and given to `check`; an empty config when it has none. */
async function readConfig(dir: string, check: (value: unknown, path: string) => TokenizerConfig): Promise<{ config: TokenizerConfig; configPath: string }> {
  const configPath = join(dir, "tokenizer_config.json");
  const config = existsSync(configPath) ? check(parseJson(await readFile(configPath), configPath), configPath) : {};
  return { config, configPath };
}

/**
 * @huggingface/tokenizers over a user's tokenizer.json: it reads many fields acc does not check (each
 * normalizer's, pre-tokenizer's and model's own), and throws a TypeError or an Error of its own on one it cannot use.
 */
function hfCodec(json: TokenizerJson, config: TokenizerConfig, jsonPath: string): HfTokenizersCodec {
  try {
    return new HfTokenizersCodec(json, config);
  } catch (error) {
    throw notATokenizer(`${jsonPath}: @huggingface/tokenizers cannot load it: ${(error as Error).message}`, error);
  }
}

async function assemble(
  dir: string,
  config: TokenizerConfig,
  configPath: string,
  addedTokens: ReadonlyMap<string, number>,
  codec: TokenCodec,
  described: { name: string | undefined; backend: TokenizerInfo["backend"]; sha256: string; fallbackReason?: string },
): Promise<Tokenizer> {
  const specialTokens = namedTokens(config, addedTokens, codec);
  const templates = await chatTemplates(dir, config, configPath, tokenVariables(config));
  const info: TokenizerInfo = { name: described.name ?? basename(resolve(dir)), backend: described.backend, sha256: described.sha256 };
  const shown = templates.default ?? templates.toolUse;
  if (shown) info.chatTemplateSha256 = shown.sha256;
  if (described.fallbackReason !== undefined) info.fallbackReason = described.fallbackReason;
  return new LoadedTokenizer(info, codec, specialTokens, templates);
}

async function readTokenizerJson(dir: string): Promise<{ path: string; bytes: Buffer }> {
  const plain = join(dir, "tokenizer.json");
  if (existsSync(plain)) return { path: plain, bytes: await readFile(plain) };
  const gzipped = `${plain}.gz`;
  if (existsSync(gzipped)) {
    try {
      return { path: gzipped, bytes: gunzipSync(await readFile(gzipped)) };
    } catch (error) {
      throw notATokenizer(`${gzipped}: not a readable gzip file: ${(error as Error).message}`, error);
    }
  }
  throw notATokenizer(`${dir}: no tokenizer.json (or tokenizer.json.gz) in this directory`);
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw notATokenizer(`${path}: invalid JSON: ${(error as Error).message}`, error);
  }
}

/** A config token's text: a string, or a serialised AddedToken's `content`. */
function tokenText(value: ConfigToken | undefined): string | undefined {
  return typeof value === "string" ? value : value?.content;
}

function namedTokens(config: TokenizerConfig, addedTokens: ReadonlyMap<string, number>, codec: TokenCodec): SpecialTokens {
  const tokens: SpecialTokens = { all: addedTokens };
  for (const role of NAMED_TOKENS) {
    const text = tokenText(config[`${role}_token`]);
    if (text === undefined) continue;
    const id = addedTokens.get(text) ?? soleId(codec.encode(text));
    if (id !== undefined) tokens[role] = { text, id } satisfies SpecialToken;
  }
  return tokens;
}

function soleId(ids: number[]): number | undefined {
  return ids.length === 1 ? ids[0] : undefined;
}

/** The special-token variables transformers passes to templates (`bos_token`, …, `additional_special_tokens`). */
function tokenVariables(config: TokenizerConfig): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const role of NAMED_TOKENS) {
    const text = tokenText(config[`${role}_token`]);
    if (text !== undefined) variables[`${role}_token`] = text;
  }
  const additional = config.additional_special_tokens;
  if (additional) variables["additional_special_tokens"] = additional.map(tokenText).filter((t) => t !== undefined);
  return variables;
}

async function chatTemplates(dir: string, config: TokenizerConfig, configPath: string, variables: Record<string, unknown>): Promise<ChatTemplates> {
  const jinjaPath = join(dir, "chat_template.jinja");
  if (existsSync(jinjaPath)) return { default: new ChatTemplate(await readFile(jinjaPath, "utf8"), variables, jinjaPath) };
  const source = config.chat_template;
  if (source === undefined || source === null) return {};
  if (typeof source === "string") return { default: new ChatTemplate(source, variables, configPath) };
  const named = new Map(source.map(({ name, template }) => [name, template]));
  const at = (name: string) => {
    const template = named.get(name);
    return template === undefined ? undefined : new ChatTemplate(template, variables, `${configPath} (chat_template "${name}")`);
  };
  return { default: at("default"), toolUse: at("tool_use") };
}

