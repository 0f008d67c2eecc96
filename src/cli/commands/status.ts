import { Command } from "commander";
import type { QueueAddress } from "../../queue/address.js";
import { queueStatus, type QueueStatus } from "../../queue/status.js";
import type { CliIo } from "../io.js";
import { queueAddressOption } from "../queue-flags.js";
import { renderTable } from "../table.js";

export function statusCommand(io: CliIo): Command {
  return new Command("status")
    .description("What a Redis queue of acc jobs holds: waiting, retrying, active, done, failed, rate and ETA")
    .addOption(queueAddressOption("the Redis of the producers' --queue (redis://host:port/db)").makeOptionMandatory())
    .option("--json", "one JSON object instead of the table")
    .addHelpText(
      "after",
      `
Examples:
  acc status --queue redis://127.0.0.1:6379/0
  acc status --queue redis://queue-host:6379/0 --json

Related: acc worker, docs/scale.md`,
    )
    .action(async (flags: { queue: QueueAddress; json?: boolean }) => {
      const status = await queueStatus(flags.queue);
      io.stdout.write(flags.json ? `${JSON.stringify(status)}\n` : `${statusTable(status)}\n`);
    });
}

function statusTable(s: QueueStatus): string {
  const rate = s.rate === null ? "-" : `${s.rate.toFixed(2)}/s`;
  const eta = s.eta_seconds === null ? "-" : duration(s.eta_seconds);
  return renderTable(["queue", "waiting", "retrying", "active", "done", "failed", "rate", "ETA", "workers"], [[s.queue, s.waiting, s.retrying, s.active, s.done, s.failed, rate, eta, s.workers]]);
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(s).padStart(2, "0")}s` : `${s}s`;
}
