import { serveTasks } from "../run/worker-serve.js";
import type { EncodeTask, EncodeResult } from "./tokenizer-pool.js";
import { resolveTokenizer } from "./resolve.js";
import type { Tokenizer } from "./types.js";

const loaded = new Map<string, Promise<Tokenizer>>();

serveTasks(
  async (task: EncodeTask) => {
    let tokenizer = loaded.get(task.spec);
    if (tokenizer === undefined) {
      tokenizer = resolveTokenizer(task.spec);
      loaded.set(task.spec, tokenizer);
    }
    return run(await tokenizer, task);
  },
  (result) => [result.lengths.buffer as ArrayBuffer, ...(result.ids ? [result.ids.buffer as ArrayBuffer] : [])],
);

function run(tokenizer: Tokenizer, task: EncodeTask): EncodeResult {
  const lengths = new Uint32Array(task.texts.length);
  if (task.op === "count") {
    task.texts.forEach((text, i) => {
      lengths[i] = tokenizer.count(text);
    });
    return { lengths };
  }
  const encoded = task.texts.map((text) => tokenizer.encode(text));
  let offset = 0;
  const ids = new Uint32Array(encoded.reduce((sum, list) => sum + list.length, 0));
  encoded.forEach((list, i) => {
    lengths[i] = list.length;
    ids.set(list, offset);
    offset += list.length;
  });
  return { lengths, ids };
}
