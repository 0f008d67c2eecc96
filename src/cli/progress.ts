import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { inputBytesRead } from "../io/lines.js";
import { statInput } from "../io/stdin.js";

export interface Progress {
  /** `done` out of the total (given here or at creation): a bar and a share when the total is known, the detail alone otherwise. */
  update(done: number, detail: string, total?: number): void;
  stop(): void;
}

const BAR_WIDTH = 30;

/**
 * A progress bar on a terminal (stderr); nothing otherwise (logs and pipes get the closing summary only) or when
 * quiet. Without a known total it shows the running detail and no share, never a made-up 100%.
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  options: { quiet?: boolean; total?: number } = {},
): Progress {
  if (options.quiet || !stream.isTTY) return { update() {}, stop() {} };
  let total = options.total;
  const bar = new SingleBar({
    stream,
    hideCursor: true,
    clearOnComplete: true,
    format: (_options, params, payload: { detail?: string }) => renderLine(label, params.value, total, payload.detail ?? ""),
  });
  bar.start(total ?? 0, 0, { detail: "" });
  return {
    update(done, detail, newTotal) {
      if (newTotal !== undefined && newTotal !== total) {
        total = newTotal;
        bar.setTotal(newTotal);
      }
      bar.update(done, { detail });
    },
    stop: () => bar.stop(),
  };
}

/** createProgress with a total worked out (a walk of the inputs, a count of lines) only when a bar is shown. */
export async function progressWithTotal(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  quiet: boolean,
  total: () => Promise<number | undefined>,
): Promise<Progress> {
  if (quiet || !stream.isTTY) return createProgress(stream, label, { quiet: true });
  return createProgress(stream, label, { total: await total() });
}

/** One line of the bar: `label [████░░░░] 42% | detail`, or `label | detail` while the total is unknown. */
export function renderLine(label: string, done: number, total: number | undefined, detail: string): string {
  if (total === undefined || total <= 0) return `${label} | ${detail}`;
  const share = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(share * BAR_WIDTH);
  return `${label} [${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% | ${detail}`;
}

/**
 * The bytes of the inputs (files, and the files under folders, hidden ones skipped as the import stage
 * skips them): the total of a progress counted in bytes read. Undefined when an input is a glob or
 * cannot be read (the bar then shows no share).
 */
export async function inputBytes(inputs: readonly string[]): Promise<number | undefined> {
  let total = 0;
  const walk = async (path: string, top: boolean): Promise<boolean> => {
    const info = await (top ? statInput(path) : stat(path)).catch(() => undefined);
    if (!info) return false;
    if (info.isFile()) total += info.size;
    else if (info.isDirectory()) {
      for (const name of await readdir(path)) if (!name.startsWith(".") && !(await walk(join(path, name), false))) return false;
    }
    return true;
  };
  for (const input of inputs) if (!(await walk(input, true))) return undefined;
  return total;
}

/** Input bytes read from now on: the done count of a progress measured against `inputBytes`. */
export function bytesReadFromNow(): () => number {
  const start = inputBytesRead();
  return () => inputBytesRead() - start;
}
