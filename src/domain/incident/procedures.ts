// What an incident reads from its procedures' results: only the contract's shared fields
// (src/domain/procedures/contract.ts), never a procedure's own field names.
import type { LastRollback, ProcedureResult } from '../procedures/contract.js';

/** The contract fields of a result, or undefined where a procedure does not report them. */
export function contractOf(result: unknown): Partial<ProcedureResult> {
  const r = (result ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  const last = r.lastRollback as LastRollback | undefined;
  return {
    message: str('message'),
    from: str('from'),
    to: str('to'),
    changed: typeof r.changed === 'boolean' ? r.changed : undefined,
    verified: typeof r.verified === 'boolean' ? r.verified : undefined,
    dryRun: typeof r.dryRun === 'boolean' ? r.dryRun : undefined,
    pin: typeof r.pin === 'object' && r.pin !== null ? (r.pin as Record<string, unknown>) : undefined,
    lastRollback: last && typeof last.at === 'string' ? last : undefined,
  };
}

/** "revision 3 -> revision 2", or the procedure's own message when it has no from/to. */
export function describeChange(result: unknown): string {
  const c = contractOf(result);
  if (c.from !== undefined && c.to !== undefined) return `${c.from} -> ${c.to}`;
  return c.message ?? 'no plan reported';
}

/** The state a finished procedure left in place, from its `to`. */
export function describeOutcome(target: string, result: unknown): string {
  const c = contractOf(result);
  return `${target}: ${c.to ?? c.message ?? 'done'}`;
}

/** A procedure counts as verified only when it says so and was no dry run. */
export function reportsVerified(result: unknown): boolean {
  const c = contractOf(result);
  return c.verified === true && c.dryRun !== true;
}
