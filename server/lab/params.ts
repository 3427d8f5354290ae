/**
 * Parsing what a what-if asks for (the schema and its limits are contracts/lab.ts):
 * the lab page, the API, the CLI and the scenarios all describe a run with these
 * parameters, and a bad one gets an error naming every problem.
 */
import { labParamsSchema, type LabParams } from '../../contracts/lab';

/** Thrown for parameters outside the stated limits; the message names every problem. */
export class LabParamsError extends Error {
  /** The API maps this code to 400 (lib/api.ts), like the engine's `invalid` errors. */
  readonly code = 'invalid';

  constructor(readonly issues: string[]) {
    super(`invalid what-if parameters: ${issues.join('; ')}`);
    this.name = 'LabParamsError';
  }

  get details(): string[] {
    return this.issues;
  }
}

export function parseLabParams(input: unknown): LabParams {
  const parsed = labParamsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new LabParamsError(parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`));
  }
  return parsed.data;
}
