// The one way a procedure waits for a person: a `confirm` signal, or a timeout. A procedure run by
// an incident tells its parent when such a wait starts and ends (procedureSignals.ts), so the
// incident can show and announce it and forward a confirmation to this workflow's `confirm`.
import {
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import { stepConfirmationTimeoutSummary } from '../../domain/incident/summaries.js';
import { procedureConfirmRequest, type ConfirmRequest } from '../../domain/schemas/confirmation.js';
import { procedureAwaitSettledSignal, procedureAwaitingSignal } from './procedureSignals.js';
import { acceptSignal } from './signals.js';

/** `{ by, notes?, step? }`, the incident's own `confirm` shape (a legacy `note` still counts as `notes`). */
export type Confirmation = ConfirmRequest;

export const confirmSignal = defineSignal<[Confirmation]>('confirm');

export interface ConfirmationGate {
  /** Resolves with the confirmation, or undefined when `timeoutSeconds` pass first. */
  waitFor(step: string, timeoutSeconds: number): Promise<Confirmation | undefined>;
  awaiting(): string | undefined;
}

/** Signals the parent workflow, if any; a parent that is gone or refuses must not fail the procedure. */
async function tellParent<T>(signal: SignalDefinition<[T]>, payload: T): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(signal, payload);
  } catch (error) {
    log.warn(`could not signal parent ${parent.workflowId}: ${signal.name}`, { error: String(error) });
  }
}

/** Registers the `confirm` handler; call once at the start of a workflow. */
export function confirmationGate(): ConfirmationGate {
  const received: Confirmation[] = [];
  let awaiting: string | undefined;
  // A malformed confirm (no `by`) is logged and ignored: it must not confirm a destructive step.
  setHandler(confirmSignal, (raw) =>
    acceptSignal(
      (_, message) => log.warn(message),
      'confirm',
      procedureConfirmRequest,
      raw,
      (c) => received.push(c),
    ),
  );
  return {
    async waitFor(step, timeoutSeconds) {
      awaiting = step;
      const { workflowId } = workflowInfo();
      const matches = (c: Confirmation) => c.step === undefined || c.step === step;
      log.info(`waiting for confirm of "${step}"`);
      await tellParent(procedureAwaitingSignal, { workflowId, step, timeoutSeconds, since: new Date().toISOString() });
      const ok = await condition(() => received.some(matches), timeoutSeconds * 1000, {
        summary: stepConfirmationTimeoutSummary(step, timeoutSeconds),
      });
      awaiting = undefined;
      const confirmation = ok ? received.splice(received.findIndex(matches), 1)[0] : undefined;
      await tellParent(procedureAwaitSettledSignal, {
        workflowId,
        step,
        outcome: confirmation ? 'confirmed' : 'timed-out',
        by: confirmation?.by,
      });
      return confirmation;
    },
    awaiting: () => awaiting,
  };
}
