export * from "./trajectory.js";
export * from "./validate.js";
