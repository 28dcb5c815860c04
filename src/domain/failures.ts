// The failure vocabulary shared by activities and workflows: the `type` of every non-retryable
// failure they raise. Pure (no SDK), so the workflow bundle imports it without Node or AWS code.

/** Failures that no retry can fix; activities raise them, workflows pass them on. */
export const FailureType = {
  InvalidInput: 'InvalidInput',
  NotFound: 'NotFound',
  Forbidden: 'Forbidden',
  Conflict: 'Conflict',
  VerificationFailed: 'VerificationFailed',
  /** The resource is in a state that forbids the change (a paused Deployment). */
  FailedPrecondition: 'FailedPrecondition',
  /** A rollout that can no longer finish (progress deadline exceeded). */
  RolloutFailed: 'RolloutFailed',
  /** A rollback and all its allowed fallbacks did not settle; a person must act. */
  RollbackFailed: 'RollbackFailed',
  /** A resource reached a state it never leaves on its own (an RDS instance in `failed`). */
  TerminalState: 'TerminalState',
  /** A wait ran past its overall limit. */
  WaitLimitExceeded: 'WaitLimitExceeded',
  /** The system moved away from the state the plan was pinned to; a person must re-plan. */
  TargetChanged: 'TargetChanged',
  /** The destination carries a rollback mark (it was rolled back from); needs allowMarkedTarget. */
  MarkedTarget: 'MarkedTarget',
  /** The worker itself is not configured to reach the system (no KUBECONFIG, no credentials). */
  NotConfigured: 'NotConfigured',
} as const;

export type FailureTypeName = keyof typeof FailureType;

/** Errors that no retry can fix: every activity options object lists them as non-retryable. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.values(FailureType);

/** Failures only a workflow raises: about the incident itself, never about a target system. */
export const WorkflowFailureType = {
  /** A signal or update that the incident's current phase does not accept. */
  IllegalTransition: 'IllegalTransition',
  /** The incident's procedures could not be planned; nothing was changed. */
  PlanFailed: 'PlanFailed',
  /** A human input refused by the approvers policy (not an approver, self-approval). */
  ApprovalRefused: 'ApprovalRefused',
  /** An activity that gave up without saying why in a type of its own. */
  ActivityFailed: 'ActivityFailed',
} as const;

/** Every type a procedure failure may carry. */
export type ProcedureFailureType = FailureTypeName | keyof typeof WorkflowFailureType;
