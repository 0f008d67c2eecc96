import { UsageError } from "../errors/acc-error.js";
import { Random } from "../random.js";
import type { MrcrItem, MrcrMessage } from "./mrcr.js";
import { builtinReplies, MRCR_FORMATS, MRCR_TOPICS, type ReplySource } from "./mrcr-text.js";
import type { Tokenizer } from "../tokenize/types.js";
import { countTokens } from "./tokens.js";

export const MRCR_NEEDLES = [2, 4, 8] as const;

export interface MrcrGenerateOptions {
  seed: number | string;
  /** Target lengths in o200k_base tokens of prompt + answer (content only, as the card counts); each instance is at most this long. */
  tokens: readonly number[];
  /** Instances per size and needle count. */
  perSize: number;
  needles?: readonly number[];
  /** Where assistant turns come from (default: the built-in source, no model needed). */
  source?: ReplySource;
  /** o200k_base (see tokens.ts: o200k()). */
  tokenizer: Pick<Tokenizer, "count">;
}

interface Key {
  format: string;
  topic: string;
}

const PREFIX_ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"];
/** Draws per needle before a reply source is declared unable to give distinct replies. */
const DISTINCT_REPLY_TRIES = 100;
/** Share of haystack asks that repeat the target's format or topic (near misses). */
const NEAR_MISS_SHARE = 0.3;

const ask = (key: Key) => `write a ${key.format} about ${key.topic}`;
const sameKey = (a: Key, b: Key) => a.format === b.format && a.topic === b.topic;

export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

export function finalQuestion(prefix: string, k: number, key: Key): string {
  return `Prepend ${prefix} to the ${ordinal(k)} (1 indexed) ${key.format} about ${key.topic}. Do not include any other text in your response.`;
}

/**
 * MRCR-shaped instances, reproducible from the seed. Each is [preamble, (ask, reply) × K, final question]:
 * the target ask occurs exactly n_needles times, each time with a different reply; the other asks use
 * other keys, some sharing the target's format or topic; the final question asks for the k-th reply
 * with a random 10-character prefix; answer = prefix + that reply; desired_msg_index points at the k-th
 * target ask. Distractor pairs are added while prompt + answer stay within the token target.
 */
export function* generateMrcr(options: MrcrGenerateOptions): Generator<MrcrItem> {
  const source = options.source ?? builtinReplies;
  for (const tokens of options.tokens) {
    for (const needles of options.needles ?? MRCR_NEEDLES) {
      for (let i = 0; i < options.perSize; i++) {
        const random = new Random(options.seed, `mrcr/${needles}/${tokens}/${i}`);
        yield { id: `mrcr-gen-s${options.seed}-${needles}n-${tokens}-${i}`, ...generateOne(random, source, options.tokenizer, needles, tokens) };
      }
    }
  }
}

function generateOne(random: Random, source: ReplySource, tokenizer: Pick<Tokenizer, "count">, needles: number, targetTokens: number): Omit<MrcrItem, "id"> {
  if (!Number.isInteger(needles) || needles < 1) throw new RangeError(`needle counts must be positive integers, got ${needles}`);
  const key = randomKey(random);
  const needleReplies: string[] = [];
  for (let draw = 0; needleReplies.length < needles; draw++) {
    if (draw === DISTINCT_REPLY_TRIES * needles) throw new RangeError(`the reply source gave fewer than ${needles} distinct replies in ${draw} draws`);
    const reply = source.reply(random, key.format, key.topic);
    if (!needleReplies.includes(reply)) needleReplies.push(reply);
  }
  const k = random.int(1, needles);
  const prefix = Array.from({ length: 10 }, () => random.pick(PREFIX_ALPHABET)).join("");
  const preamble = preambleText(random, source, key);
  const final = finalQuestion(prefix, k, key);
  const answer = prefix + needleReplies[k - 1];
  const fixed = countTokens(tokenizer, [preamble, final, answer, ...needleReplies.flatMap((reply) => [ask(key), reply])]);
  if (fixed > targetTokens) {
    throw new UsageError(`generated: an MRCR instance with ${needles} needles needs at least ${fixed} tokens here, more than the size of ${targetTokens}`, {
      fix: "choose larger sizes or fewer needles",
    });
  }
  let remaining = targetTokens - fixed;
  const distractors: [Key, string][] = [];
  for (;;) {
    const other = distractorKey(random, key);
    const reply = source.reply(random, other.format, other.topic);
    const cost = countTokens(tokenizer, [ask(other), reply]);
    if (cost > remaining) break;
    distractors.push([other, reply]);
    remaining -= cost;
  }
  const pairs = needles + distractors.length;
  const needleSlots = random
    .shuffle([...Array(pairs).keys()])
    .slice(0, needles)
    .sort((a, b) => a - b);
  const messages: MrcrMessage[] = [{ role: "user", content: preamble }];
  let nextNeedle = 0;
  let nextDistractor = 0;
  for (let slot = 0; slot < pairs; slot++) {
    const [pairKey, reply] = needleSlots[nextNeedle] === slot ? [key, needleReplies[nextNeedle++]!] : distractors[nextDistractor++]!;
    messages.push({ role: "user", content: ask(pairKey) }, { role: "assistant", content: reply });
  }
  messages.push({ role: "user", content: final });
  return {
    messages,
    answer,
    random_string_to_prepend: prefix,
    n_needles: needles,
    desired_msg_index: 1 + 2 * needleSlots[k - 1]!,
    total_messages: messages.length,
    n_chars: messages.reduce((sum, message) => sum + codePointLength(message.content), 0),
  };
}

function randomKey(random: Random): Key {
  return { format: random.pick(MRCR_FORMATS), topic: random.pick(MRCR_TOPICS) };
}

/** Any key but the target's (and `avoid`'s); some keep the target's format or its topic. */
function distractorKey(random: Random, target: Key, avoid: Key = target): Key {
  for (;;) {
    const nearMiss = random.next() < NEAR_MISS_SHARE;
    const candidate = randomKey(random);
    if (nearMiss) {
      if (random.next() < 0.5) candidate.format = target.format;
      else candidate.topic = target.topic;
    }
    if (!sameKey(candidate, target) && !sameKey(candidate, avoid)) return candidate;
  }
}

/** The few-shot preamble of the official rows, with one example conversation that never uses the target key. */
function preambleText(random: Random, source: ReplySource, target: Key): string {
  const example = distractorKey(random, target);
  const other = distractorKey(random, target, example);
  const first = source.reply(random, example.format, example.topic);
  const second = source.reply(random, example.format, example.topic);
  const prefix = Array.from({ length: 10 }, () => random.pick(PREFIX_ALPHABET)).join("");
  const turns = [
    `User: ${ask(example)}`,
    `Assistant: ${first}`,
    `User: ${ask(other)}`,
    `Assistant: ${source.reply(random, other.format, other.topic)}`,
    `User: ${ask(example)}`,
    `Assistant: ${second}`,
    `User: ${finalQuestion(prefix, 2, example)}`,
    `Assistant: ${prefix}${second}`,
  ];
  return `Here are some examples of conversations succeeded by a follow-up question answered correctly:\n\n======EXAMPLE======\n${turns.join("\n")}\n\n======END EXAMPLE======\n`;
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}
