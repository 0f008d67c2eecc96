import { Redis, type RedisOptions } from "ioredis";
import { AccError } from "../errors/acc-error.js";
import type { QueueAddress } from "./address.js";

/** The Redis queue named by --queue could not be reached (exit 1: the work could not run). */
export class QueueUnreachable extends AccError {
  override name = "QueueUnreachable";
}

/**
 * Connection settings of every producer, worker and status connection: once connected, a command waits
 * through a Redis restart instead of failing (ioredis reconnects with backoff and replays what was
 * queued), so a restarted Redis (with its AOF) costs a pause, not a run.
 */
export function redisOptions(address: QueueAddress): RedisOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username ? { username: address.username } : {}),
    ...(address.password ? { password: address.password } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}

/**
 * Checks, once, that Redis answers at the address (no retries), so that a wrong URL or a stopped server is
 * one line at start-up rather than a wait forever.
 */
export async function checkReachable(address: QueueAddress, timeoutMs = 5000): Promise<void> {
  const probe = new Redis({ ...redisOptions(address), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: timeoutMs });
  // the socket's own error (ECONNREFUSED, ENOTFOUND…) says more than connect()'s "Connection is closed"
  let socketError: unknown;
  probe.on("error", (error: unknown) => (socketError ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const cause = socketError ?? error;
    const why = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, "");
    throw new QueueUnreachable(`cannot reach the queue at ${address.label}: ${why}`, {
      code: "queue-unreachable",
      cause,
      fix: "start redis-server there, or correct --queue",
    });
  } finally {
    probe.disconnect();
  }
}

/**
 * A command ioredis gave up when the connection closed under it: the part of a pipeline that had begun to
 * answer, or a MULTI/EXEC cut in two (its AbortError). Other commands wait through a Redis restart
 * (maxRetriesPerRequest: null); these are rejected, and the operation that sent them must send it again.
 */
export function isConnectionAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError" && /connection close/.test(error.message);
}

/**
 * Runs an idempotent Redis operation again when a connection close aborted part of it (see
 * isConnectionAbort), up to `attempts` times, `delayMs` apart; any other error is thrown at once.
 */
export async function retryConnectionAborts<T>(operation: () => Promise<T>, attempts = 20, delayMs = 250): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isConnectionAbort(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
