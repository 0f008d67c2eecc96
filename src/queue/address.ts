import { UsageError } from "../errors/acc-error.js";

/** Where the queue is: a Redis server and database, from `--queue redis://[user:password@]host:port/db`. */
export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL without its password: what messages and fingerprints name. */
  label: string;
}

/** Parses the --queue URL; anything else than redis://host[:port][/db] is a usage error naming the flag. */
export function parseQueueAddress(value: string): QueueAddress {
  const fail = (why: string) =>
    new UsageError(`--queue expects redis://host:port/db, got "${redact(value)}" (${why})`, { flag: "--queue", fix: "e.g. --queue redis://127.0.0.1:6379/0" });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail("not a URL");
  }
  if (url.protocol !== "redis:") throw fail(`the scheme must be redis:, not ${url.protocol}`);
  if (url.hostname === "") throw fail("no host");
  const port = url.port === "" ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  const db = path === "" ? 0 : Number(path);
  if (!/^\d*$/.test(path) || !Number.isSafeInteger(db) || db > 15) throw fail("the database must be a number from 0 to 15");
  if (url.search !== "" || url.hash !== "") throw fail("no query or fragment is read");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    label: `redis://${url.hostname}:${port}/${db}`,
  };
}

/** The URL with any password replaced, for messages. */
function redact(value: string): string {
  return value.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@");
}
