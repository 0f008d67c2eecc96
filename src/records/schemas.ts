import type { z } from "zod";
import { Trajectory } from "./trajectory.js";

/** Every record that has a published JSON Schema in docs/schemas/<name>.schema.json. */
export const recordSchemas: Record<string, z.ZodType> = {
  trajectory: Trajectory,
};
