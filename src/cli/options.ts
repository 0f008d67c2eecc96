import { type Command, Option } from "commander";
import { UsageError } from "../errors/acc-error.js";
import type { ChatRequest } from "../llm/types.js";

/**
 * The command line's value parsers and the option groups several commands share. Every number and
 * choice is parsed here, by commander as it reads the flag (`.argParser`), so a bad value reads the same
 * in every command ("--jobs expects a positive integer, got "0"") and an action receives typed values.
 * Defaults are given parsed (a number, not its text); help shows them as typed.
 */

/** A flag's value parser: the text given, the flag's long name for the message. */
type Parse<T> = (value: string, flag: string) => T;

/** An option whose value commander parses with `parse` as it reads it. */
function parsedOption<T>(flags: string, description: string, parse: Parse<T>, defaultValue?: T, defaultText?: string): Option {
  const option = new Option(flags, description);
  option.argParser((value: string) => parse(value, option.long ?? flags));
  return defaultValue === undefined ? option : option.default(defaultValue, defaultText);
}

// --- the value parsers -----------------------------------------------------------------------------

/** What a number flag takes: a whole number or any, its bounds (inclusive), its unit for the message. */
interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  unit?: string;
}

const POSITIVE_INTEGER: NumberRule = { integer: true, min: 1 };

/** The one number parser of the command line. */
export function parseNumber(value: string, flag: string, rule: NumberRule): number {
  const number = Number(value);
  const ok = value.trim() !== "" && (rule.integer ? Number.isSafeInteger(number) : Number.isFinite(number)) && number >= (rule.min ?? -Infinity) && number <= (rule.max ?? Infinity);
  if (!ok) throw new UsageError(`${flag} expects ${expected(rule)}, got "${value}"`, { flag });
  return number;
}

function expected({ integer, min, max, unit }: NumberRule): string {
  if (integer) return min === 1 ? "a positive integer" : min === 0 ? "a whole number ≥ 0" : "a whole number";
  const what = unit ? `a number of ${unit}` : "a number";
  return max === undefined ? `${what} ≥ ${min}` : `${what} from ${min} to ${max}`;
}

/** Longest time limit a flag takes: a day (a timer cannot wait past ~24.8 days at all). */
const MAX_SECONDS = 86_400;
const MIB = 1024 * 1024;

export function parseChoice<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag} expects one of ${choices.join(", ")}, got "${value}"`, { flag });
  return value as T;
}

// --- option makers --------------------------------------------------------------------------------

export function positiveIntegerOption(flags: string, description: string, defaultValue?: number): Option {
  return parsedOption(flags, description, (value, flag) => parseNumber(value, flag, POSITIVE_INTEGER), defaultValue);
}

export function wholeNumberOption(flags: string, description: string, defaultValue?: number): Option {
  return parsedOption(flags, description, (value, flag) => parseNumber(value, flag, { integer: true, min: 0 }), defaultValue);
}

export function numberOption(flags: string, description: string, range: { min: number; max?: number }, defaultValue?: number): Option {
  return parsedOption(flags, description, (value, flag) => parseNumber(value, flag, range), defaultValue);
}

/** A time limit given in seconds; the value is in milliseconds. */
export function secondsOption(flags: string, description: string, defaultSeconds?: number): Option {
  const ms = (value: string, flag: string) => Math.round(parseNumber(value, flag, { min: 0.001, max: MAX_SECONDS, unit: "seconds" }) * 1000);
  return parsedOption(flags, description, ms, defaultSeconds === undefined ? undefined : defaultSeconds * 1000, defaultSeconds === undefined ? undefined : String(defaultSeconds));
}

/** A size given in MiB; the value is in bytes. */
export function mebibytesOption(flags: string, description: string, defaultBytes: number): Option {
  return parsedOption(flags, description, (value, flag) => parseNumber(value, flag, POSITIVE_INTEGER) * MIB, defaultBytes, String(Math.round(defaultBytes / MIB)));
}

/** One of `choices`; help lists them. */
export function choiceOption<T extends string>(flags: string, description: string, choices: readonly T[], defaultValue?: T): Option {
  const option = new Option(flags, description).choices(choices);
  // after .choices(): our message ("--x expects one of a, b, got …") instead of commander's
  option.argParser((value: string) => parseChoice(value, option.long ?? flags, choices));
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** A flag that may be given several times; the values in order. */
export function repeatableOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]).default([]);
}

// --- groups shared by commands --------------------------------------------------------------------

/** `-o, --out <dir>`: the output folder of every command that writes one (`-o` means nothing else). */
export function outOption(description: string, options: { required?: boolean; value?: string } = {}): Option {
  const option = new Option(`-o, --out <${options.value ?? "dir"}>`, description);
  return options.required ? option.makeOptionMandatory() : option;
}

/**
 * `--output`, the long name `-o` had in import, eval, mine and verify samples before it became `--out`
 * everywhere: still accepted there, hidden from help (docs/cli.md).
 */
export function outputAliasOption(): Option {
  return new Option("--output <path>", "former name of --out").hideHelp().conflicts("out");
}

export interface OutFlags {
  out?: string;
  /** the former name of --out, where outputAliasOption keeps it */
  output?: string;
}

/** The value of `-o, --out`, or of its former name `--output`. */
export function outPath(flags: OutFlags): string | undefined {
  return flags.out ?? flags.output;
}

/** `-o, --out` where it is required but checked here rather than by commander (which would not know `--output`). */
export function requiredOut(flags: OutFlags, value = "dir"): string {
  const path = outPath(flags);
  if (path === undefined) throw new UsageError(`-o, --out <${value}> is required`, { flag: "--out" });
  return path;
}

export interface OverwriteQuietFlags {
  overwrite?: boolean;
  quiet?: boolean;
}

export function overwriteOption(what = "write into a folder holding another stage's outputs (they are removed first)"): Option {
  return new Option("--overwrite", what);
}

export function quietOption(what = "no progress display"): Option {
  return new Option("-q, --quiet", what);
}

export function seedOption(description: string): Option {
  return parsedOption("--seed <n>", description, (value, flag) => parseNumber(value, flag, { integer: true }), 0);
}

/** `--format`: the importer every input is read with, instead of detection. */
export function formatOption(description: string): Option {
  return new Option("--format <name>", description);
}

/** The longest JSONL line an importer reads (acc import, acc inspect). */
export function maxLineBytesOption(): Option {
  return positiveIntegerOption("--max-line-bytes <n>", "reject JSONL lines longer than this", 64 * 1024 * 1024);
}

export function concurrencyOption(description: string, defaultValue: number): Option {
  return positiveIntegerOption("--concurrency <n>", description, defaultValue);
}

export function temperatureOption(description: string, defaultValue?: number): Option {
  return numberOption("--temperature <t>", description, { min: 0 }, defaultValue);
}

export function maxTokensOption(description: string, defaultValue?: number): Option {
  return positiveIntegerOption("--max-tokens <n>", description, defaultValue);
}

/** The request settings --max-tokens and --temperature ask for, when given (acc eval's and acc worker eval's). */
export function samplingRequest(flags: { maxTokens?: number; temperature?: number }): Pick<ChatRequest, "max_tokens" | "temperature"> {
  return {
    ...(flags.maxTokens !== undefined ? { max_tokens: flags.maxTokens } : {}),
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
  };
}

// --- the LLM client --------------------------------------------------------------------------------

/** The flags of clientOptions, as the action receives them. */
export interface ClientFlags {
  retries: number;
  apiKeyEnv?: string;
  apiKeyFile?: string;
  /** false with --no-cache */
  cache?: string | false;
}

export function retriesOption(): Option {
  return wholeNumberOption("--retries <n>", "retries of a failed request (429, 5xx, timeouts, resets, malformed bodies), with backoff", 5);
}

export function apiKeyEnvOption(): Option {
  return new Option("--api-key-env <var>", "environment variable holding the API key");
}

/** The response cache: `--cache <dir>` and `--no-cache`. */
export function cacheOptions(): Option[] {
  return [new Option("--cache <dir>", "response cache folder, shared by runs").default(".acc-cache/llm"), new Option("--no-cache", "send every request even when a cached answer exists")];
}

/** The flags every command that talks to an LLM endpoint through makeClient takes: the key, the response cache, the retries. */
export function clientOptions(): Option[] {
  return [retriesOption(), apiKeyEnvOption(), new Option("--api-key-file <file>", "file holding the API key"), ...cacheOptions()];
}

/** `command` with `options` added, in order. */
export function addOptions<C extends Command>(command: C, options: readonly Option[]): C {
  for (const option of options) command.addOption(option);
  return command;
}
