export * from "./atomic.js";
export * from "./lines.js";
