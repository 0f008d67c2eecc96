import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Tokenizer } from "@huggingface/tokenizers";
import { QWEN3_DIR } from "../../src/tokenize/qwen3.js";
import { tempDir } from "../helpers/collect.js";
import { pythonWith } from "../helpers/python.js";

/** The bundled Qwen3 tokenizer.json text, decompressed. */
export function qwen3TokenizerJsonText(): string {
  return gunzipSync(readFileSync(join(QWEN3_DIR, "tokenizer.json.gz"))).toString("utf8");
}

export function qwen3Config(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(QWEN3_DIR, "tokenizer_config.json"), "utf8"));
}

/** @huggingface/tokenizers on a tokenizer.json: the independent JavaScript implementation. */
export function hfTokenizersEncoder(tokenizerJsonText: string, config: Record<string, unknown> = {}): (text: string) => number[] {
  const tokenizer = new Tokenizer(JSON.parse(tokenizerJsonText), config);
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
}

const PYTHON_ENCODE = `
import json, sys
from tokenizers import Tokenizer
tokenizer = Tokenizer.from_file(sys.argv[1])
texts = json.load(open(sys.argv[2], encoding="utf-8"))
ids = [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
json.dump(ids, open(sys.argv[3], "w"))
`;

/** Python `tokenizers` (the Rust library) on `texts`, in one process; undefined when it is not installed. */
export function pythonTokenizersEncode(tokenizerJsonText: string, texts: readonly string[]): number[][] | undefined {
  const python = pythonWith("tokenizers");
  if (python === undefined) return undefined;
  const dir = tempDir("acc-tokenize-");
  const [jsonPath, textsPath, idsPath] = ["tokenizer.json", "texts.json", "ids.json"].map((name) => join(dir, name)) as [string, string, string];
  writeFileSync(jsonPath, tokenizerJsonText);
  writeFileSync(textsPath, JSON.stringify(texts));
  const run = spawnSync(python, ["-c", PYTHON_ENCODE, jsonPath, textsPath, idsPath], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`python tokenizers failed:\n${run.stderr}`);
  return JSON.parse(readFileSync(idsPath, "utf8"));
}
