import { readFileSync } from "node:fs";
import { UsageError } from "../errors/acc-error.js";

export interface KeySource {
  apiKey?: string;
  apiKeyEnv?: string;
  apiKeyFile?: string;
}

/**
 * The API key from exactly one source: given directly, an environment variable, or a file (surrounding
 * whitespace ignored). Undefined when no source is given. Errors name the source, never the key.
 */
export function loadApiKey(source: KeySource, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = [source.apiKey, source.apiKeyEnv, source.apiKeyFile].filter((s) => s !== undefined).length;
  if (given > 1) throw new UsageError("give the API key one way only: apiKey, apiKeyEnv or apiKeyFile");
  if (source.apiKey !== undefined) return nonEmpty(source.apiKey.trim(), "the API key given is empty");
  if (source.apiKeyEnv !== undefined) {
    return nonEmpty((env[source.apiKeyEnv] ?? "").trim(), `environment variable ${source.apiKeyEnv} is not set or empty`);
  }
  if (source.apiKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.apiKeyFile, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read API key file ${source.apiKeyFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
    return nonEmpty(text.trim(), `API key file ${source.apiKeyFile} is empty`);
  }
  return undefined;
}

function nonEmpty(key: string, message: string): string {
  if (key === "") throw new UsageError(message);
  return key;
}

/** Replaces every occurrence of the key in a text (server error bodies sometimes echo it back). */
export function redact(text: string, key: string | undefined): string {
  return key ? text.split(key).join("[redacted]") : text;
}

/**
 * An error with the key redacted from its text and from its causes' (`--debug` prints a whole cause chain).
 * An error whose chain never holds the key comes back as it is; one that does becomes a copy of the same
 * class with only the redacted name, message, stack and cause: its own fields (a socket, a response)
 * may hold the key too.
 */
export function redactError(error: unknown, key: string | undefined, depth = 0): unknown {
  if (!(error instanceof Error) || !key || depth > 16) return error;
  const cause = "cause" in error ? redactError(error.cause, key, depth + 1) : undefined;
  const text = `${error.name}\n${error.message}\n${error.stack ?? ""}`;
  if (!text.includes(key) && cause === error.cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const field of ["name", "message", "stack"] as const) {
    Object.defineProperty(copy, field, { value: redact(error[field] ?? "", key), writable: true, configurable: true });
  }
  if ("cause" in error) Object.defineProperty(copy, "cause", { value: cause, writable: true, configurable: true });
  return copy;
}
