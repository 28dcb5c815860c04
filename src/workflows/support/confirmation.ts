// The one way a procedure waits for a person: a `confirm` signal, or a timeout. A procedure run by
// an incident tells its parent when such a wait starts and ends (procedureSignals.ts), so the
// incident can show and announce it and forward a confirmation to this workflow's `confirm`.
import { defineSignal, log, setHandler } from '@temporalio/workflow';
import { procedureConfirmRequest, type ConfirmRequest } from '../../domain/schemas/confirmation.js';
import { waitForPerson } from './procedureSignals.js';
import type { Progress } from './progress.js';
import { acceptSignal } from './signals.js';

/** `{ by, notes?, step? }`, the incident's own `confirm` shape (a legacy `note` still counts as `notes`). */
export type Confirmation = ConfirmRequest;

export const confirmSignal = defineSignal<[Confirmation]>('confirm');

export interface ConfirmationGate {
  /** Resolves with the confirmation, or undefined when `timeoutSeconds` pass first; `status` shows the wait. */
  waitFor(step: string, timeoutSeconds: number): Promise<Confirmation | undefined>;
  awaiting(): string | undefined;
}

/** Registers the `confirm` handler; call once at the start of a workflow. */
export function confirmationGate(progress: Progress): ConfirmationGate {
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
      progress.awaiting(step);
      const matches = (c: Confirmation) => c.step === undefined || c.step === step;
      log.info(`waiting for confirm of "${step}"`);
      const confirmation = await waitForPerson(
        step,
        timeoutSeconds,
        () => received.some(matches),
        (ok) => {
          awaiting = undefined;
          return ok ? received.splice(received.findIndex(matches), 1)[0] : undefined;
        },
      );
      progress.awaiting(undefined);
      return confirmation;
    },
    awaiting: () => awaiting,
  };
}
