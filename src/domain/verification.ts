// The one result shape of every verification check, so a verification step can run any list of
// them and report them the same way.

export interface VerificationCheck {
  check: string;
  passed: boolean;
  observed: string;
  expected: string;
  detail?: string;
}

export function failedChecks(checks: readonly VerificationCheck[]): VerificationCheck[] {
  return checks.filter((c) => !c.passed);
}

export function describeFailures(checks: readonly VerificationCheck[]): string {
  return failedChecks(checks)
    .map((c) => `${c.check}: observed ${c.observed}, expected ${c.expected}${c.detail ? ` (${c.detail})` : ''}`)
    .join('; ');
}
