// Provider: Terraform (`terraform plan -detailed-exitcode` shows no changes). Not available yet:
// the Terraform procedure and its binary are being built separately (issue 12 leaves the check
// registered so inputs can name it). It always reads "unreadable", never passed.
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { reading, type CheckResult } from '../../domain/verification.js';

export async function terraformPlanClean(spec: CheckOf<'terraformPlanClean'>): Promise<CheckResult> {
  return reading(
    {
      check: 'terraformPlanClean',
      target: `terraform plan in ${spec.workingDirectory}`,
      expected: 'no changes (exit code 0)',
    },
    'unreadable',
    'not run',
    new Date().toISOString(),
    { detail: 'not available until the terraform binary exists on the worker (docs/verification.md)' },
  );
}
