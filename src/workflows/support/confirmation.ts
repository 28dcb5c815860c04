// The one way a procedure waits for a person: a `confirm` signal, or a timeout.
import { condition, defineSignal, log, setHandler } from '@temporalio/workflow';

export interface Confirmation {
  by: string;
  /** What is confirmed (a fallback rung's name); absent confirms whatever is awaited. */
  step?: string;
  note?: string;
}

export const confirmSignal = defineSignal<[Confirmation]>('confirm');

export interface ConfirmationGate {
  /** Resolves with the confirmation, or undefined when `timeoutSeconds` pass first. */
  waitFor(step: string, timeoutSeconds: number): Promise<Confirmation | undefined>;
  awaiting(): string | undefined;
}

/** Registers the `confirm` handler; call once at the start of a workflow. */
export function confirmationGate(): ConfirmationGate {
  const received: Confirmation[] = [];
  let awaiting: string | undefined;
  setHandler(confirmSignal, (c) => {
    received.push(c);
  });
  return {
    async waitFor(step, timeoutSeconds) {
      awaiting = step;
      const matches = (c: Confirmation) => c.step === undefined || c.step === step;
      log.info(`waiting for confirm of "${step}"`);
      const ok = await condition(() => received.some(matches), timeoutSeconds * 1000);
      awaiting = undefined;
      if (!ok) return undefined;
      const index = received.findIndex(matches);
      return received.splice(index, 1)[0];
    },
    awaiting: () => awaiting,
  };
}
