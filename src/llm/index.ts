export { createClient } from "./client.js";
export { canonicalJson, requestKey } from "./cache.js";
export { loadApiKey } from "./keys.js";
export * from "./types.js";
