// The `status` query of a procedure: which step it is on, and what it last saw there.
import { defineQuery, setHandler, workflowInfo } from '@temporalio/workflow';

export interface ProcedureStatus {
  workflowType: string;
  step: string;
  detail: string;
  awaitingConfirmation?: string;
  /** What the procedure plans to change (a Terraform plan: summary, resource changes, hash). */
  plan?: unknown;
  /** Steps done so far, oldest first, with the workflow time they ended. */
  completed: { step: string; detail: string; at: string }[];
}

export const procedureStatusQuery = defineQuery<ProcedureStatus>('status');

export interface Progress {
  step(step: string, detail?: string): void;
  awaiting(what: string | undefined): void;
  showPlan(plan: unknown): void;
}

export function trackProgress(): Progress {
  const status: ProcedureStatus = {
    workflowType: workflowInfo().workflowType,
    step: 'start',
    detail: '',
    completed: [],
  };
  setHandler(procedureStatusQuery, () => status);
  return {
    step(step, detail = '') {
      if (status.step !== 'start') {
        status.completed.push({ step: status.step, detail: status.detail, at: new Date().toISOString() });
      }
      status.step = step;
      status.detail = detail;
    },
    awaiting(what) {
      status.awaitingConfirmation = what;
    },
    showPlan(plan) {
      status.plan = plan;
    },
  };
}
