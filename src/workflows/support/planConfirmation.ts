// Confirmation of one exact plan: the `confirmPlan` update carries the hash of the plan it
// approves. It is refused (the caller gets the reason) when no plan awaits confirmation or the
// hash is not the awaited plan's (a stale confirmation of an earlier plan). A changed plan
// needs a new confirmation. A procedure run by an incident tells its parent while it waits,
// like every other wait for a person (confirmation.ts).
import {
  condition,
  defineUpdate,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
  type SignalDefinition,
} from '@temporalio/workflow';
import { confirmPlanArgs, type ConfirmPlanArgs } from '../../domain/schemas/terraform.js';
import { parseWith } from '../../domain/validation.js';
import { stepConfirmationTimeoutSummary } from '../../domain/incident/summaries.js';
import { procedureAwaitSettledSignal, procedureAwaitingSignal } from './procedureSignals.js';

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
  /** Resolves with the confirmation of `planHash`, or undefined when `timeoutSeconds` pass first. */
  waitFor(planHash: string, what: string, timeoutSeconds: number): Promise<PlanConfirmation | undefined>;
}

async function tellParent<T>(signal: SignalDefinition<[T]>, payload: T): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(signal, payload);
  } catch (error) {
    log.warn(`could not signal parent ${parent.workflowId}: ${signal.name}`, { error: String(error) });
  }
}

/** Registers the `confirmPlan` update; call once at the start of a workflow. */
export function planConfirmationGate(): PlanConfirmationGate {
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
      const { workflowId } = workflowInfo();
      const step = `${what} (confirmPlan with planHash ${planHash})`;
      log.info(`waiting for confirmPlan of ${planHash}`);
      await tellParent(procedureAwaitingSignal, { workflowId, step, timeoutSeconds, since: new Date().toISOString() });
      const ok = await condition(() => confirmed?.planHash === planHash, timeoutSeconds * 1000, {
        summary: stepConfirmationTimeoutSummary(step, timeoutSeconds),
      });
      awaited = undefined;
      const answer = ok ? (confirmed as PlanConfirmation | undefined) : undefined;
      await tellParent(procedureAwaitSettledSignal, {
        workflowId,
        step,
        outcome: ok ? 'confirmed' : 'timed-out',
        by: answer?.by,
      });
      return answer;
    },
  };
}
