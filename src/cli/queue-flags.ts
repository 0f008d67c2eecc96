import type { Command } from "commander";
import { parseQueueAddress, type QueueAddress } from "../queue/address.js";
import { type ProducerOptions, QueueProducer } from "../queue/producer.js";
import { parseInteger } from "./io.js";

/** `--queue` and `--attempts`, the same on every stage that can hand its records to acc worker processes. */
export function queueFlags(command: Command, records: string): Command {
  return command
    .option("--queue <url>", `enqueue the ${records} as jobs in Redis (redis://host:port/db) for acc worker processes, and collect their results here`)
    .option("--attempts <n>", "with --queue: deliveries of a job (a worker's error or death mid-job is one) before its record is rejected", "3");
}

export interface QueueChoice {
  address: QueueAddress;
  open(options: Omit<ProducerOptions, "attempts">): Promise<QueueProducer>;
}

export function queueOption(flags: Record<string, unknown>): QueueChoice | undefined {
  if (flags.queue === undefined) return undefined;
  const address = parseQueueAddress(String(flags.queue));
  const attempts = parseInteger(String(flags.attempts), "--attempts");
  return { address, open: (options) => QueueProducer.open(address, { ...options, attempts }) };
}
