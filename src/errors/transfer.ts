import { AccError } from "./acc-error.js";
import type { ErrorCode } from "./codes.js";

/** An error as plain data, to cross a worker thread (structured clone keeps only name, message and stack). */
export interface TransferredError {
  name: string;
  message: string;
  stack?: string;
  /** Set for AccErrors: rebuilt as one on the other side. */
  acc?: { code: ErrorCode; fix?: string; file?: string; line?: number; flag?: string };
  /** Node system error fields (code, syscall, path, dest, errno), kept so the message can name the path. */
  system?: Record<string, string | number>;
}

export function toTransferable(error: unknown): TransferredError {
  if (!(error instanceof Error) && !AccError.isInstance(error)) return { name: "Error", message: String(error) };
  const e = error as Error & Record<string, unknown>;
  const out: TransferredError = { name: e.name, message: e.message, ...(e.stack !== undefined ? { stack: e.stack } : {}) };
  if (AccError.isInstance(error)) {
    out.acc = { code: error.code };
    for (const key of ["fix", "file", "line", "flag"] as const) if (error[key] !== undefined) Object.assign(out.acc, { [key]: error[key] });
    return out;
  }
  const system: Record<string, string | number> = {};
  for (const key of ["code", "syscall", "path", "dest", "errno"]) {
    const value = e[key];
    if (typeof value === "string" || typeof value === "number") system[key] = value;
  }
  if (Object.keys(system).length > 0) out.system = system;
  return out;
}

/** The error again, on this side: an AccError (same name, code, exit code, fix) or an Error with the system fields. */
export function fromTransferable(data: TransferredError): Error {
  let error: Error;
  if (data.acc) {
    error = new AccError(data.message, data.acc);
  } else {
    // invariant: an error that was not an AccError on the other side is rebuilt as what it was (a bug, or a system error the boundary describes)
    error = Object.assign(new Error(data.message), data.system ?? {});
  }
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}
