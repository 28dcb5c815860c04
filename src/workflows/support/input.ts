// Workflow input validation: a bad field fails the workflow at once, non-retryably, naming it.
import type { ZodType, ZodTypeDef } from 'zod';
import { parseWith } from '../../domain/validation.js';
import { procedureFailure } from './failures.js';

export function parseInput<T>(schema: ZodType<T, ZodTypeDef, unknown>, raw: unknown, workflowType: string): T {
  const parsed = parseWith(schema, raw);
  if (!parsed.ok) {
    throw procedureFailure('InvalidInput', `${workflowType}: invalid input: ${parsed.message}`);
  }
  return parsed.value;
}
