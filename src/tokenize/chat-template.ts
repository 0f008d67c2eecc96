import { createHash } from "node:crypto";
import { Environment, Interpreter, parse, tokenize } from "@huggingface/jinja";
import type { ChatTemplateOptions, ChatTurns, TemplateMessage } from "./types.js";
import { QWEN3_CHAT_TEMPLATE_SHA256, Qwen3Turns } from "./qwen3-turns.js";
import { ChatTemplateError, notATokenizer } from "./errors.js";
import { pythonFunctions, pythonSemantics, pythonSource } from "./python-jinja.js";

type Program = ReturnType<typeof parse>;
type RuntimeValue = ReturnType<Environment["set"]>;


/**
 * A Hugging Face chat template, rendered by @huggingface/jinja with the variables transformers'
 * `apply_chat_template` gives it: `messages`, `tools`, `add_generation_prompt`, the special tokens
 * (`bos_token`, `eos_token`, …), `raise_exception`, and any extra variables.
 *
 * Unlike transformers, `strftime_now` is not defined: a template that reads the clock would make the
 * same inputs give different prompts on different days. Templates that test `strftime_now is defined`
 * take their fixed fallback; pass the date as a variable (e.g. `date_string`) to set it.
 */
export class ChatTemplate {
  readonly sha256: string;
  private readonly program: Program;

  /** `where` names the template's file in errors. */
  constructor(
    readonly source: string,
    private readonly tokenVariables: Readonly<Record<string, unknown>>,
    private readonly where: string,
  ) {
    this.sha256 = createHash("sha256").update(source).digest("hex");
    try {
      this.program = parse(tokenize(pythonSource(source), { lstrip_blocks: true, trim_blocks: true }));
      pythonSemantics(this.program);
    } catch (error) {
      throw notATokenizer(`${where}: chat template does not parse: ${(error as Error).message}`, error);
    }
  }

  render(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): string {
    return this.prefixes(messages, options)(messages.length, options.addGenerationPrompt ?? false);
  }

  /**
   * Renders of prefixes of one conversation: `prefixes(messages, options)(end, g)` equals
   * `render(messages.slice(0, end), { ...options, addGenerationPrompt: g })`. The messages, tools and
   * variables become the interpreter's values once, not at every render (the interpreter never changes
   * a value it is given: only a template's own `namespace` objects can be assigned to).
   */
  prefixes(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): (end: number, addGenerationPrompt: boolean) => string {
    const variables: Record<string, unknown> = {
      ...this.tokenVariables,
      ...options.variables,
      messages,
    };
    if (options.tools !== undefined) variables["tools"] = options.tools;
    if (options.enableThinking !== undefined) variables["enable_thinking"] = options.enableThinking;
    const raiseException = (message: unknown) => {
      throw new ChatTemplateError(`${this.where}: the chat template rejected the conversation: ${String(message)}`);
    };
    const values = new Environment();
    for (const [name, value] of Object.entries({ ...GLOBALS, raise_exception: raiseException, ...variables })) values.set(name, value);
    for (const [name, value] of PYTHON_FUNCTIONS) values.variables.set(name, value);
    const list = values.variables.get("messages") as RuntimeValue & { value: RuntimeValue[] };
    const ArrayValue = list.constructor as new (items: RuntimeValue[]) => RuntimeValue;
    return (end, addGenerationPrompt) => {
      const env = new Environment();
      for (const [name, value] of values.variables) if (name !== "add_generation_prompt") env.variables.set(name, value);
      env.variables.set("messages", end === list.value.length ? list : new ArrayValue(list.value.slice(0, end)));
      env.set("add_generation_prompt", addGenerationPrompt);
      try {
        return new Interpreter(env).run(this.program).value as string;
      } catch (error) {
        if (error instanceof ChatTemplateError) throw error;
        throw new ChatTemplateError(`${this.where}: chat template failed: ${(error as Error).message}`, { cause: error });
      }
    };
  }

  /**
   * Where a conversation's turns start, for masking them: each rendering is made once, and a turn's start
   * is the length of the rendering before it with the generation prompt, checked to be the start of the
   * longer rendering. Qwen3's template is read by its rules instead (Qwen3Turns), which places each turn
   * without rendering the prefix: rendering every prefix is quadratic in the conversation's length.
   */
  turns(messages: readonly TemplateMessage[], options: ChatTemplateOptions = {}): ChatTurns {
    const prefixes = this.prefixes(messages, options);
    const done = new Map<string, string>();
    const render = (end: number, addGenerationPrompt: boolean) => {
      const key = `${end}${addGenerationPrompt ? "+" : ""}`;
      let text = done.get(key);
      if (text === undefined) {
        text = prefixes(end, addGenerationPrompt);
        done.set(key, text);
      }
      return text;
    };
    // The rules read the template as it renders with no variables beyond messages and tools.
    const rules = this.sha256 === QWEN3_CHAT_TEMPLATE_SHA256 && options.enableThinking === undefined && options.variables === undefined ? new Qwen3Turns(messages, (end) => render(end, false)) : undefined;
    return {
      render: (end) => render(end, false),
      turnStart: (end, i) => {
        const known = rules?.turnStart(end, i);
        if (known !== undefined) return known === false ? undefined : known;
        const prefix = render(i, true);
        return render(end, false).startsWith(prefix) ? prefix.length : undefined;
      },
    };
  }
}

/** Jinja's and transformers' globals as @huggingface/jinja sets them, less the clock (`raise_exception` is per render). */
const GLOBALS: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
  range,
};

/** The functions a rewritten template calls, made as the library's values (from a sample of each class: they are not exported). */
const PYTHON_FUNCTIONS: ReadonlyMap<string, RuntimeValue> = (() => {
  const sample = new Environment();
  const StringValue = sample.set("text", "").constructor as new (text: string) => RuntimeValue;
  const FunctionValue = sample.set("function", () => null).constructor as new (fn: unknown) => RuntimeValue;
  return pythonFunctions(
    (text) => new StringValue(text),
    (fn) => new FunctionValue(fn),
  ) as Map<string, RuntimeValue>;
})();

function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) return range(0, start, step);
  if (step === 0) throw new ChatTemplateError("range() step must not be zero");
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}
