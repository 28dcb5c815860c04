// Expectations on the first value a verification query returns (runbook "Database Verification":
// `SELECT COUNT(*) FROM critical_table`, `SELECT MAX(created_at) ...`, the latest migration).
import type { VerificationCheck } from './verification.js';

export interface QueryExpectation {
  /** The value, compared as text (numbers are written as text). */
  equals?: string | number;
  /** A numeric lower bound, inclusive. */
  min?: number;
  /** A numeric upper bound, inclusive. */
  max?: number;
  /** The value is present (a row with a non-NULL first column): the default without other expectations. */
  notNull?: boolean;
}

function describeExpectation(expect: QueryExpectation): string {
  const parts: string[] = [];
  if (expect.equals !== undefined) parts.push(`= ${expect.equals}`);
  if (expect.min !== undefined) parts.push(`>= ${expect.min}`);
  if (expect.max !== undefined) parts.push(`<= ${expect.max}`);
  return parts.length > 0 ? parts.join(' and ') : 'a value (not NULL)';
}

/** `observed` is the first column of the first row as text, null for NULL, undefined for no row. */
export function evaluateQuery(
  check: string,
  observed: string | null | undefined,
  expect: QueryExpectation = {},
): VerificationCheck {
  const expected = describeExpectation(expect);
  const shown = observed === undefined ? '(no rows)' : observed === null ? 'NULL' : observed;
  const fail = (detail: string): VerificationCheck => ({ check, passed: false, observed: shown, expected, detail });
  if (observed === undefined || observed === null) return fail('the query returned no value');
  if (expect.equals !== undefined && observed !== String(expect.equals)) return fail('value differs');
  if (expect.min !== undefined || expect.max !== undefined) {
    const n = Number(observed);
    if (!Number.isFinite(n)) return fail('value is not a number');
    if (expect.min !== undefined && n < expect.min) return fail('value below the minimum');
    if (expect.max !== undefined && n > expect.max) return fail('value above the maximum');
  }
  return { check, passed: true, observed: shown, expected };
}
