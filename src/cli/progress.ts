import { SingleBar } from "cli-progress";

export interface Progress {
  update(done: number, detail: string): void;
  stop(): void;
}

/**
 * A progress bar on a terminal, a line every `intervalMs` otherwise (CI logs), nothing when quiet.
 * `total` is in whatever unit `update` counts (bytes, records).
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  total: number,
  options: { quiet?: boolean; intervalMs?: number; unit?: string } = {},
): Progress {
  if (options.quiet) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new SingleBar(
      { stream, format: `${label} [{bar}] {percentage}% | {detail}`, hideCursor: true, clearOnComplete: true },
    );
    bar.start(Math.max(total, 1), 0, { detail: "" });
    return {
      update: (done, detail) => bar.update(Math.min(done, Math.max(total, 1)), { detail }),
      stop: () => bar.stop(),
    };
  }
  const interval = options.intervalMs ?? 10_000;
  let last = Date.now();
  return {
    update(done, detail) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      const share = total > 0 ? ` (${((100 * done) / total).toFixed(1)}%)` : "";
      stream.write(`${label}: ${detail}${share}\n`);
    },
    stop() {},
  };
}
