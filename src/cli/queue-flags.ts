import { type Command, Option } from "commander";
import { parseQueueAddress, type QueueAddress } from "../queue/address.js";
import { type ProducerOptions, QueueProducer } from "../queue/producer.js";
import { addOptions, positiveIntegerOption } from "./options.js";

export interface QueueFlags {
  queue?: QueueAddress;
  attempts: number;
}

/** `--queue <url>` parsed to its address (acc worker's and acc status's too). */
export function queueAddressOption(description: string): Option {
  return new Option("--queue <url>", description).argParser(parseQueueAddress);
}

/** `--queue` and `--attempts`, the same on every stage that can hand its records to acc worker processes. */
export function queueFlags<C extends Command>(command: C, records: string): C {
  return addOptions(command, queueOptions(records));
}

export function queueOptions(records: string): Option[] {
  return [
    queueAddressOption(`enqueue the ${records} as jobs in Redis (redis://host:port/db) for acc worker processes, and collect their results here`),
    positiveIntegerOption("--attempts <n>", "with --queue: deliveries of a job (a worker's error or death mid-job is one) before its record is rejected", 3),
  ];
}

export interface QueueChoice {
  address: QueueAddress;
  open(options: Omit<ProducerOptions, "attempts">): Promise<QueueProducer>;
}

export function queueOption(flags: QueueFlags): QueueChoice | undefined {
  const address = flags.queue;
  if (address === undefined) return undefined;
  return { address, open: (options) => QueueProducer.open(address, { ...options, attempts: flags.attempts }) };
}
