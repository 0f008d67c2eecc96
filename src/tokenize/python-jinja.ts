/**
 * Chat templates rendered as transformers renders them: jinja2, whose values are Python's. @huggingface/jinja
 * follows JavaScript where the two differ, and a prompt rendered that way differs from the model's own
 * prompt (and its token ids and masks) whenever a template prints a value that is not a string:
 * - `{{ none }}` prints "None" in jinja2 and nothing here; `True`/`False` print as "true"/"false" here;
 * - `tools | string` and `{{ a_dict }}` print Python's repr (`{'type': 'function'}`), not JSON
 *   (Mistral's tool template sends the tools this way); floats print as Python prints them (`1e+16`);
 * - `x.strip('\n')` and `x | trim` strip what Python's `str.strip` strips (the library trims all of
 *   JavaScript's whitespace and ignores the argument);
 * - jinja2 reads a template's `\r\n` and `\r` as `\n`, and drops one newline at its end.
 * `pythonSource` and `pythonSemantics` bring the source and a parsed template to jinja2's behaviour;
 * `pythonFunctions` are the functions the rewritten template calls.
 */

import { ChatTemplateError } from "./errors.js";
import { pythonStrip, type Side } from "./python-strip.js";

/** A value of @huggingface/jinja's interpreter (its classes are not exported: read by their `type`). */
interface Value {
  type: string;
  value: unknown;
}

interface Node {
  type?: string;
  [key: string]: unknown;
}

/** jinja2's lexer turns `\r\n` and `\r` into `\n`, and (keep_trailing_newline off) drops a final newline. */
export function pythonSource(source: string): string {
  const normalised = source.replace(/\r\n?/g, "\n");
  return normalised.endsWith("\n") ? normalised.slice(0, -1) : normalised;
}

/** The names rewritten calls use: a prefix no template's own variable uses. */
const PREFIX = "__acc_python_";
const SIDES: readonly Side[] = ["strip", "lstrip", "rstrip"];
const METHODS = new Set<string>(SIDES);
const FILTERS = new Set(["string", "trim", "join"]);
/** Statements the interpreter runs rather than prints; every other statement of a block prints its value. */
const NOT_PRINTED = new Set(["StringLiteral", "If", "For", "Break", "Continue", "Set", "Macro", "Comment", "FilterStatement", "CallStatement"]);
/** The fields of statements that hold blocks of statements. */
const BLOCKS = ["body", "alternate", "defaultBlock"];

const call = (name: string, args: unknown[]): Node => ({ type: "CallExpression", callee: { type: "Identifier", value: PREFIX + name }, args });

/**
 * Rewrites a parsed template, in place, so that what it prints, `x | string`, `x | trim`, `x | join`,
 * `a ~ b` and `x.strip(…)`, `x.lstrip(…)`, `x.rstrip(…)` call `pythonFunctions()` instead of the
 * library's JavaScript behaviour.
 */
export function pythonSemantics(program: object): void {
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) return value.forEach(visit);
    const node = value as Node;
    for (const child of Object.values(node)) visit(child);
    for (const field of BLOCKS) {
      const block = node[field];
      if (Array.isArray(block)) node[field] = block.map((statement: Node) => (NOT_PRINTED.has(statement.type!) ? statement : call("print", [statement])));
    }
    if (node.type === "CallExpression") {
      const callee = node.callee as Node;
      const property = callee.property as Node | undefined;
      if (callee.type === "MemberExpression" && callee.computed === false && property?.type === "Identifier" && METHODS.has(property.value as string)) {
        Object.assign(node, call(property.value as string, [callee.object, ...(node.args as unknown[])]));
      }
    } else if (node.type === "FilterExpression") {
      const filter = node.filter as Node;
      const name = (filter.type === "CallExpression" ? (filter.callee as Node).value : filter.value) as string;
      if (FILTERS.has(name)) {
        const args = filter.type === "CallExpression" ? (filter.args as unknown[]) : [];
        Object.assign(node, call(name, [node.operand, ...args]));
        delete node.operand;
        delete node.filter;
      }
    } else if (node.type === "BinaryExpression" && (node.operator as Node).value === "~") {
      Object.assign(node, call("concat", [node.left, node.right]));
      delete node.operator;
      delete node.left;
      delete node.right;
    }
  };
  visit(program);
}

type Make = (text: string) => Value;

/**
 * The functions the rewritten template calls, keyed by name, as the interpreter's function values.
 * `makeString` and `makeFunction` build the library's values (from a sample of each class).
 */
export function pythonFunctions(makeString: Make, makeFunction: (fn: (args: Value[]) => Value) => Value): Map<string, Value> {
  const functions = new Map<string, Value>();
  const define = (name: string, fn: (args: Value[]) => Value) => functions.set(PREFIX + name, makeFunction(fn));
  const asText = (value: Value) => (value.type === "StringValue" ? value : makeString(pythonStr(value)));
  define("print", ([value]) => asText(value!));
  define("string", ([value]) => asText(value!));
  define("concat", ([left, right]) => makeString(pythonStr(left!) + pythonStr(right!)));
  for (const side of SIDES) {
    define(side, ([text, chars]) => {
      if (text?.type !== "StringValue") throw new ChatTemplateError(`${side}() is called on ${text?.type === "NullValue" || text?.type === "UndefinedValue" ? "none" : text?.type}, not a string`);
      return makeString(pythonStrip(side, text.value as string, charsOf(side, chars)));
    });
  }
  define("trim", ([value, chars]) => makeString(pythonStrip("strip", pythonStr(value!), charsOf("trim", named(chars, "chars")))));
  define("join", ([value, ...rest]) => {
    const keywords = rest.at(-1)?.type === "KeywordArgumentsValue" ? (rest.pop()!.value as Map<string, Value>) : undefined;
    const separator = rest[0] ?? keywords?.get("d");
    const attribute = keywords?.get("attribute");
    const items = iterate(value!).map((item) => (attribute === undefined ? item : attributeOf(item, attribute)));
    return makeString(items.map(pythonStr).join(separator === undefined ? "" : pythonStr(separator)));
  });
  return functions;
}

/** What Python's iteration yields: a list's items, a string's characters, a dict's keys. */
function iterate(value: Value): Value[] {
  switch (value.type) {
    case "ArrayValue":
    case "TupleValue":
      return value.value as Value[];
    case "StringValue":
      return [...(value.value as string)].map((char) => ({ type: "StringValue", value: char }));
    case "ObjectValue":
      return [...(value.value as Map<string, Value>).keys()].map((key) => ({ type: "StringValue", value: key }));
    default:
      throw new ChatTemplateError(`join() is given ${value.type}, which is not iterable`);
  }
}

/** A keyword argument's value, given by name (`trim(chars='x')`) or by position. */
function named(value: Value | undefined, name: string): Value | undefined {
  return value?.type === "KeywordArgumentsValue" ? (value.value as Map<string, Value>).get(name) : value;
}

function charsOf(name: string, chars: Value | undefined): string | undefined {
  if (chars === undefined || chars.type === "NullValue" || chars.type === "UndefinedValue") return undefined;
  if (chars.type !== "StringValue") throw new ChatTemplateError(`${name}() takes a string of characters, got ${chars.type}`);
  return chars.value as string;
}

function attributeOf(item: Value, attribute: Value): Value {
  const key = pythonStr(attribute);
  const found = item.type === "ObjectValue" ? (item.value as Map<string, Value>).get(key) : undefined;
  return found ?? { type: "UndefinedValue", value: undefined };
}

/** Python's `str()` of a template value, as jinja2 prints it. */
export function pythonStr(value: Value): string {
  switch (value.type) {
    case "StringValue":
      return value.value as string;
    case "UndefinedValue":
      return "";
    default:
      return pythonRepr(value);
  }
}

/** Python's `repr()` of a template value (lists and dicts print their items this way). */
export function pythonRepr(value: Value): string {
  switch (value.type) {
    case "StringValue":
      return stringRepr(value.value as string);
    case "IntegerValue":
      return String(value.value);
    case "FloatValue":
      return floatRepr(value.value as number);
    case "BooleanValue":
      return value.value ? "True" : "False";
    case "NullValue":
    case "UndefinedValue":
      return "None";
    case "ArrayValue":
      return `[${(value.value as Value[]).map(pythonRepr).join(", ")}]`;
    case "TupleValue": {
      const items = (value.value as Value[]).map(pythonRepr);
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
    }
    case "ObjectValue":
    case "KeywordArgumentsValue":
    case "NamespaceValue": {
      const entries = value.value instanceof Map ? [...(value.value as Map<string, Value>)] : [];
      return `{${entries.map(([key, item]) => `${stringRepr(key)}: ${pythonRepr(item)}`).join(", ")}}`;
    }
    default:
      return String(value.value);
  }
}

/** Characters Python's `str.isprintable` refuses (categories Other and Separator, the space excepted). */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** Python's `repr()` of a string: single quotes unless it holds a single quote and no double quote. */
export function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === quote) out += `\\${char}`;
    else if (ESCAPES[char] !== undefined) out += ESCAPES[char];
    else if (char !== " " && NOT_PRINTABLE.test(char)) {
      const code = char.codePointAt(0)!;
      out += code < 0x100 ? `\\x${hex(code, 2)}` : code < 0x10000 ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
    } else out += char;
  }
  return out + quote;
}

const hex = (code: number, width: number) => code.toString(16).padStart(width, "0");

/** Python's `repr()` of a float: the shortest digits that read back, in exponent form below 1e-4 or from 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exponentText] = Math.abs(x).toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  const digits = mantissa.replace(".", "");
  if (exponent < -4 || exponent >= 16) {
    const shown = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${shown}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = exponent + 1;
  if (digits.length <= whole) return `${sign}${digits}${"0".repeat(whole - digits.length)}.0`;
  return `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`;
}
