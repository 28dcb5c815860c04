// Confirmation of one exact plan: the `confirmPlan` update carries the hash of the plan it
// approves. It is refused (the caller gets the reason) when no plan awaits confirmation or the
// hash is not the awaited plan's (a stale confirmation of an earlier plan). A changed plan
// needs a new confirmation. A procedure run by an incident tells its parent while it waits,
// like every other wait for a person (confirmation.ts).
import { defineUpdate, log, setHandler } from '@temporalio/workflow';
import { confirmPlanArgs, type ConfirmPlanArgs } from '../../domain/schemas/terraform.js';
import { parseWith } from '../../domain/validation.js';
import { waitForPerson } from './procedureSignals.js';
import type { Progress } from './progress.js';

export interface PlanConfirmationReceipt {
  accepted: true;
  planHash: string;
  by: string;
}

export const confirmPlanUpdate = defineUpdate<PlanConfirmationReceipt, [ConfirmPlanArgs]>('confirmPlan');

export interface PlanConfirmation {
  planHash: string;
  by: string;
  note?: string;
}

export interface PlanConfirmationGate {
  /**
   * Resolves with the confirmation of `planHash`, or undefined when `timeoutSeconds` pass first;
   * `status` shows `what` awaits confirmation.
   */
  waitFor(planHash: string, what: string, timeoutSeconds: number): Promise<PlanConfirmation | undefined>;
}

/** Registers the `confirmPlan` update; call once at the start of a workflow. */
export function planConfirmationGate(progress: Progress): PlanConfirmationGate {
  let awaited: string | undefined;
  let confirmed: PlanConfirmation | undefined;
  setHandler(
    confirmPlanUpdate,
    (args) => {
      const c = confirmPlanArgs.parse(args);
      confirmed = { planHash: c.planHash, by: c.by, note: c.note };
      return { accepted: true, planHash: c.planHash, by: c.by };
    },
    {
      validator: (args) => {
        const parsed = parseWith(confirmPlanArgs, args);
        if (!parsed.ok) throw new Error(`confirmPlan: invalid input: ${parsed.message}`);
        if (awaited === undefined) throw new Error('confirmPlan: no plan is awaiting confirmation');
        if (parsed.value.planHash !== awaited) {
          throw new Error(
            `confirmPlan: stale plan hash ${parsed.value.planHash.slice(0, 12)}: the plan awaiting confirmation is ${awaited} (see the status query)`,
          );
        }
      },
    },
  );
  return {
    async waitFor(planHash, what, timeoutSeconds) {
      awaited = planHash;
      confirmed = undefined;
      progress.awaiting(what);
      log.info(`waiting for confirmPlan of ${planHash}`);
      const answer = await waitForPerson(
        `${what} (confirmPlan with planHash ${planHash})`,
        timeoutSeconds,
        () => confirmed?.planHash === planHash,
        (ok) => {
          awaited = undefined;
          return ok ? confirmed : undefined;
        },
      );
      progress.awaiting(undefined);
      return answer;
    },
  };
}
