import { type ErrorCode, exitCodeOf } from "./codes.js";

/**
 * The one base of every error acc expects to happen (bad flags, bad inputs, dead endpoints, …).
 * The CLI turns it into one line on stderr and its `exitCode`; anything that is not an AccError (nor a
 * Node system error, see system-error.ts) is a bug and is reported as one.
 *
 * Recognised by a brand registered with `Symbol.for`, not only by `instanceof`: two copies of the
 * package (a dependency installed twice, tsx and built code in one process, an error rebuilt after
 * crossing a worker thread) still recognise each other's errors.
 */
const BRAND = Symbol.for("agent-context-compiler.AccError");

/** 2: the command line is wrong (a flag, an argument, a path it names); 1: the work ran and failed. */
export type ExitCode = 1 | 2;

export interface AccErrorDetails {
  /** The kind of failure, for programs; it decides the exit code (src/errors/codes.ts). Default: the class's. */
  code?: ErrorCode;
  /** What the user should do, said after the problem: "pass --overwrite to replace them". */
  fix?: string;
  /** The file (and line) or flag the problem is in, for programs; the message says them too. */
  file?: string;
  line?: number;
  flag?: string;
  cause?: unknown;
}

// eslint-disable-next-line no-restricted-syntax -- the one base every other error extends
export class AccError extends Error {
  override name = "AccError";
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly fix?: string;
  readonly file?: string;
  readonly line?: number;
  readonly flag?: string;

  constructor(message: string, details: AccErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code ?? this.defaultCode();
    this.exitCode = exitCodeOf(this.code);
    if (details.fix !== undefined) this.fix = details.fix;
    if (details.file !== undefined) this.file = details.file;
    if (details.line !== undefined) this.line = details.line;
    if (details.flag !== undefined) this.flag = details.flag;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The code when the thrower gives none. */
  protected defaultCode(): ErrorCode {
    return "failed";
  }

  /** True for an AccError from any copy of this package. */
  static isInstance(value: unknown): value is AccError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** The command line cannot run as given: an unknown or missing flag, a bad value, a path that is not there. Exit 2. */
export class UsageError extends AccError {
  override name = "UsageError";
  protected override defaultCode(): ErrorCode {
    return "usage";
  }
}
