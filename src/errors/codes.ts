/**
 * Every code an AccError can carry, with the exit code the CLI returns for it and what it means: the one
 * place that maps codes to exit codes. docs/cli.md lists the same table (test/errors/codes.test.ts checks
 * it). A new kind of failure adds its code here.
 *
 * Exit 2: the command line is wrong (a flag, an argument, a path it names): fixed by changing the command.
 * Exit 1: the command was right and the work failed (bad records, a dead endpoint, nothing produced).
 */
export const ERROR_CODES = {
  usage: { exitCode: 2, meaning: "a flag, an argument or a file it names is wrong" },
  "is-a-folder": { exitCode: 2, meaning: "an output file path names a folder" },
  "not-a-folder": { exitCode: 2, meaning: "an output folder path (or a part of it) is a file" },
  "not-writable": { exitCode: 2, meaning: "an output path is on a file system that takes no new files (/proc, /sys)" },
  "output-in-use": { exitCode: 2, meaning: "the output folder holds another stage's outputs or files acc did not write" },
  tokenizer: { exitCode: 2, meaning: "--tokenizer names no tokenizer acc can load, or one that lacks what the command needs" },
  failed: { exitCode: 1, meaning: "the work failed (no more specific code applies)" },
  "no-records": { exitCode: 1, meaning: "the run produced nothing: every input record was rejected or dropped, or there were none" },
  "wrong-shape": { exitCode: 1, meaning: "a record, a task or a file's content is not of the shape expected" },
  "rejected-record": { exitCode: 1, meaning: "--on-error fail met a record that cannot be imported; nothing was written" },
  "duplicate-id": { exitCode: 1, meaning: "two records share an id that must be unique" },
  "not-samples": { exitCode: 1, meaning: "the input holds records, but not acc samples" },
  "document-too-large": { exitCode: 1, meaning: "a JSON document is larger than acc reads whole" },
  "invalid-utf8": { exitCode: 1, meaning: "an input is not valid UTF-8" },
  "tokenizer-damaged": { exitCode: 1, meaning: "a tokenizer file acc ships is not the one it pinned (reinstall)" },
  "chat-template": { exitCode: 1, meaning: "a chat template failed on a conversation" },
  git: { exitCode: 1, meaning: "git failed on a repository" },
  sandbox: { exitCode: 1, meaning: "the sandbox refused or failed an operation on a repository" },
  "tool-failed": { exitCode: 1, meaning: "an environment's tool failed" },
  "sql-error": { exitCode: 1, meaning: "SQLite refused a statement" },
  "result-too-large": { exitCode: 1, meaning: "a SQL result is larger than acc keeps" },
  "verification-failed": { exitCode: 1, meaning: "acc verify: the answer did not pass" },
  "shard-mismatch": { exitCode: 1, meaning: "acc merge: the shards were not made by one run" },
  "server-broke-protocol": { exitCode: 1, meaning: "the model server answered against the protocol (empty completion, logprobs missing)" },
  http: { exitCode: 1, meaning: "the endpoint answered with an HTTP error" },
  "context-length": { exitCode: 1, meaning: "the endpoint refused the request as longer than the model's context" },
  timeout: { exitCode: 1, meaning: "the endpoint did not answer in time" },
  network: { exitCode: 1, meaning: "the endpoint could not be reached" },
  malformed: { exitCode: 1, meaning: "the endpoint's answer is not a chat completion acc can read" },
  "circuit-open": { exitCode: 1, meaning: "too many endpoint failures in a row: acc stopped sending" },
  aborted: { exitCode: 1, meaning: "the request was cancelled (the run is stopping)" },
  "queue-unreachable": { exitCode: 1, meaning: "the Redis queue cannot be reached" },
  "invalid-job": { exitCode: 1, meaning: "a queued job does not hold what the worker's stage takes" },
  "job-refused": { exitCode: 1, meaning: "a worker refused jobs made with other settings" },
} as const satisfies Record<string, { exitCode: 1 | 2; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The exit code of `code`; 1 for a code this copy of acc does not know (an error rebuilt from another version). */
export function exitCodeOf(code: string): 1 | 2 {
  return (ERROR_CODES as Record<string, { exitCode: 1 | 2 } | undefined>)[code]?.exitCode ?? 1;
}
