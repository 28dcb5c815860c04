// The project's workflows plus a parent that runs one procedure as its child and records what
// the child tells it (support/procedureSignals.ts), as an incident would.
import { defineQuery, executeChild, setHandler } from '@temporalio/workflow';
import {
  procedureAwaitSettledSignal,
  procedureAwaitingSignal,
  type ProcedureAwaitSettled,
  type ProcedureAwaiting,
} from '../../../src/workflows/support/procedureSignals.js';

export * from '../../../src/workflows/index.js';

export interface ChildSignals {
  awaiting: ProcedureAwaiting[];
  settled: ProcedureAwaitSettled[];
}

export const childSignalsQuery = defineQuery<ChildSignals>('childSignals');

export async function recordingParent(
  type: string,
  input: unknown,
  childId: string,
): Promise<ChildSignals & { error?: string }> {
  const seen: ChildSignals = { awaiting: [], settled: [] };
  setHandler(procedureAwaitingSignal, (s) => void seen.awaiting.push(s));
  setHandler(procedureAwaitSettledSignal, (s) => void seen.settled.push(s));
  setHandler(childSignalsQuery, () => seen);
  try {
    await executeChild(type, { workflowId: childId, args: [input] });
    return seen;
  } catch (error) {
    return { ...seen, error: ((error as Error).cause as Error | undefined)?.message ?? String(error) };
  }
}
