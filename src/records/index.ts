export * from "./trajectory.js";
export * from "./validate.js";
export * from "./sample.js";
