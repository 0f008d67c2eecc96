import { expect, kindOf } from "../common/rows.js";

export interface DivergentSample {
  /** Index of the sample in `train_messages`. */
  index: number;
  /** The sample's messages that the longest sample lacks, with their position in the sample, as logged. */
  messages: { position: number; message: unknown }[];
}

/**
 * ToolBench stores one training sample per decision step, each the chain up to that step: the same messages many
 * times. The longest sample is kept. The others are walked against it; their messages that it lacks (DFS inserts a
 * "previous candidates" user turn only while it retries a step) are returned so nothing is lost.
 */
export function longestTrainMessages(value: unknown, path: string): { longest: unknown[]; index: number; divergent: DivergentSample[] } {
  expect(Array.isArray(value), `${path}: expected an array of message lists, got ${kindOf(value)}`);
  expect(value.length > 0, `${path}: no training sample (the run produced no valid chain)`);
  value.forEach((sample, i) => expect(Array.isArray(sample), `${path}[${i}]: expected an array of messages, got ${kindOf(sample)}`));
  const samples = value as unknown[][];
  let index = 0;
  samples.forEach((sample, i) => {
    if (sample.length > samples[index]!.length) index = i;
  });
  const longest = samples[index]!.map((m) => JSON.stringify(m));
  const divergent: DivergentSample[] = [];
  samples.forEach((sample, i) => {
    if (i === index) return;
    const missing: DivergentSample["messages"] = [];
    let next = 0;
    sample.forEach((message, position) => {
      if (next < longest.length && JSON.stringify(message) === longest[next]) next++;
      else missing.push({ position, message });
    });
    if (missing.length > 0) divergent.push({ index: i, messages: missing });
  });
  return { longest: samples[index]!, index, divergent };
}
