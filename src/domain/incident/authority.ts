// Who may change what an incident does (docs/incident.md, "Authority"): with `approvers` set,
// only they; and the person who asked for the rollback may not confirm it unless
// `allowSelfApproval`. Each answer is the refusal's reason, or undefined when allowed.
import type { IncidentRollbackInput } from '../schemas/incidentRollback.js';

type Authority = Pick<IncidentRollbackInput, 'approvers' | 'allowSelfApproval' | 'requestedBy'>;

/** Why `who` may not change what this incident does, or undefined when they may. */
export function authorityRefusal(input: Authority, who: string): string | undefined {
  const approvers = input.approvers;
  if (approvers && !approvers.includes(who)) {
    return `${who} is not an approver of this incident (approvers: ${approvers.join(', ')})`;
  }
  return undefined;
}

/** Why `who` may not confirm: they requested the rollback themselves. */
export function selfApprovalRefusal(input: Authority, who: string): string | undefined {
  if (!input.allowSelfApproval && who === input.requestedBy) {
    return `${who} requested this rollback and may not confirm it (allowSelfApproval is false)`;
  }
  return undefined;
}
