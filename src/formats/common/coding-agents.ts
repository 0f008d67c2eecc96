// Pieces shared by the coding-agent importers (SWE-agent, mini-swe-agent, OpenHands): src/formats/swe-agent.ts is SWE-agent's own.
import { argumentsOf } from "./openai-messages.js";
import { expect } from "./rows.js";
import { asString, isRecord } from "./text.js";
import type { DraftToolCall } from "../types.js";

/** OpenAI-shaped `tool_calls` (`{id, function: {name, arguments}}`) → draft calls; `path` prefixes errors. */
export function functionCalls(value: unknown, path: string): DraftToolCall[] {
  if (value === undefined || value === null) return [];
  expect(Array.isArray(value), `${path}: expected an array of tool calls`);
  return value.map((call, i) => {
    expect(isRecord(call), `${path}[${i}]: expected a tool call object`);
    const fn = isRecord(call.function) ? call.function : call;
    const name = asString(fn.name);
    expect(name !== undefined, `${path}[${i}].function.name: expected a string`);
    return { id: asString(call.id) ?? null, name, type: "function", ...argumentsOf(fn.arguments) };
  });
}

/** A shell command the agent wrote in its text (a fenced block, a parsed action): kept verbatim, no JSON. */
export function shellTextCall(command: string): DraftToolCall {
  return { id: null, name: "bash", type: "text", raw_arguments: command, arguments: null };
}

/** A unified diff, as opposed to a free-text submission (a CTF flag, an answer). */
export function looksLikePatch(text: string): boolean {
  return /^(?:diff --git |--- \S|\+\+\+ \S|@@ -\d)/m.test(text);
}

/**
 * The text a template put in place of `{{placeholder}}`: the literal template text around the
 * placeholder (up to the neighbouring template tags) is located in the rendered message.
 */
export function extractFromTemplate(rendered: string, template: string, placeholder: string): string | undefined {
  const match = new RegExp(`\\{\\{-?\\s*${placeholder}\\s*-?\\}\\}`).exec(template);
  if (!match) return undefined;
  // Trimmed at the far ends: whitespace control (`{%-`) and Jinja's dropped final newline change them.
  const before = template.slice(0, match.index).split(/\}\}|%\}/).pop()!.trimStart();
  const after = template.slice(match.index + match[0].length).split(/\{\{|\{%/)[0]!.trimEnd();
  const start = before === "" ? 0 : rendered.indexOf(before);
  if (start === -1) return undefined;
  const from = start + before.length;
  const end = after === "" ? rendered.length : rendered.indexOf(after, from);
  if (end === -1) return undefined;
  const text = rendered.slice(from, end);
  return text.trim() === "" ? undefined : text;
}

const SECRET_PARTS = new Set(["secret", "secrets", "password", "passwd", "credential", "credentials", "apikey"]);
const KEY_QUALIFIERS = new Set(["api", "access", "private", "secret"]);

/**
 * `aws_secret_access_key`, `apiKey`, `OPENAI_API_KEY`, `secret_registry`; `token` only when it names a string.
 * Not privacy's secretKeyKind (src/privacy/values.ts), on purpose: that one judges a key's last word and lets
 * the value decide (`pwd`, `DB_PASS` are passwords only if the value looks like one), while this one redacts
 * without looking at the value, so it takes any word that names a secret (`secret_registry`, `password_file`,
 * whole subtrees) and leaves out names whose values are often harmless (`PWD`, a working directory).
 * Merging them would change imported `extra` (docs/privacy.md, "What is scanned").
 */
function secretKind(key: string): "always" | "string" | undefined {
  const parts = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((p) => p.length > 0);
  if (parts.some((p) => SECRET_PARTS.has(p))) return "always";
  if (parts.some((p, i) => p === "key" && i > 0 && KEY_QUALIFIERS.has(parts[i - 1]!))) return "always";
  return parts.at(-1) === "token" ? "string" : undefined;
}

/**
 * A deep copy of run configuration with credentials replaced by "[redacted]", so that configs kept
 * under `extra` (LLM settings, environment variables, secret registries) never carry a key out.
 */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const kind = secretKind(key);
    const secret = v !== null && v !== "" && (kind === "always" || (kind === "string" && typeof v === "string"));
    out[key] = secret ? "[redacted]" : withoutSecrets(v);
  }
  return out;
}

/** Source fields with no slot, null and empty ones dropped (they carry nothing). */
export function leftovers(value: Record<string, unknown>, mapped: readonly string[]): Record<string, unknown> | undefined {
  const rest: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (mapped.includes(key) || v === null || v === undefined) continue;
    if ((Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0)) continue;
    rest[key] = v;
  }
  return Object.keys(rest).length > 0 ? rest : undefined;
}
