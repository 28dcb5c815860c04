// The runbook's "Communication" templates, kept verbatim, and filled from the incident's state
// line by line: a `**Label:** value` or `- Label: value` line gets its value, any other line is
// copied, so the announcement reads exactly like the runbook's (a unit test compares the two).

export const ROLLBACK_IN_PROGRESS_TEMPLATE = `**🔴 ROLLBACK IN PROGRESS**

**Environment:** Production
**Reason:** [Brief description of issue]
**Rollback Target:** [Previous version/revision]
**Expected Duration:** ~15 minutes
**Impact:** [Description]

**Action Items:**
- Initiating rollback now
- Monitoring metrics
- Will provide update in 15 minutes

**Incident Commander:** [Name]`;

export const ROLLBACK_COMPLETE_TEMPLATE = `**✅ ROLLBACK COMPLETE**

**Duration:** X minutes
**Status:** Services restored
**Current Version:** [Version]

**Verification:**
- Health checks: ✅ Passing
- Error rate: 0.1%
- Latency: Normal
- All alarms: Clear

**Next Steps:**
- Root cause analysis scheduled
- Fix will be deployed after thorough testing
- Postmortem meeting: [Date/Time]`;

type Values = Record<string, string>;

/** Fills `**Label:** value` and `- Label: value` lines; `replace` swaps whole lines. */
export function fillTemplate(template: string, values: Values, replace: Values = {}): string {
  return template
    .split('\n')
    .map((line) => {
      if (line in replace) return replace[line]!;
      const bold = /^\*\*([^*]+):\*\* /.exec(line);
      if (bold && bold[1]! in values) return `**${bold[1]}:** ${values[bold[1]!]}`;
      const item = /^- ([^:]+): /.exec(line);
      if (item && item[1]! in values) return `- ${item[1]}: ${values[item[1]!]}`;
      return line;
    })
    .join('\n');
}

export function titleCase(word: string): string {
  return word.length === 0 ? word : word[0]!.toUpperCase() + word.slice(1);
}

export interface InProgressFacts {
  environment: string;
  reason: string;
  targets: string[];
  expectedMinutes: number;
  impact: string;
  incidentCommander?: string;
}

export function renderRollbackInProgress(f: InProgressFacts): string {
  return fillTemplate(
    ROLLBACK_IN_PROGRESS_TEMPLATE,
    {
      Environment: titleCase(f.environment),
      Reason: f.reason,
      'Rollback Target': f.targets.join('; ') || 'none given',
      'Expected Duration': `~${f.expectedMinutes} minutes`,
      Impact: f.impact,
      'Incident Commander': f.incidentCommander ?? 'not assigned yet',
    },
    { '- Will provide update in 15 minutes': `- Will provide update in ${f.expectedMinutes} minutes` },
  );
}

export interface CompleteFacts {
  durationMinutes: number;
  /** Every procedure read its own result back and it held. */
  allVerified: boolean;
  currentVersions: string[];
  /** What the readings after the rollback said; `not-checked` when no source was given. */
  verdict: 'healthy' | 'unhealthy' | 'unverified' | 'not-checked';
  /** What was measured, in words. */
  measured: string;
  errorRatePct?: number;
  latencyMs?: number;
  alarmsCleared: boolean;
  postmortem?: string;
}

const HEALTH = {
  healthy: '✅ Passing',
  unhealthy: '❌ Failing',
  unverified: '⚠️ Not verified (source unreadable)',
  'not-checked': '⚪ Not checked (no health source given)',
} as const;

export function renderRollbackComplete(f: CompleteFacts): string {
  const restored = f.verdict === 'healthy' && f.allVerified;
  const status = restored
    ? 'Services restored'
    : f.verdict === 'unhealthy'
      ? `Rolled back, service still unhealthy: ${f.measured}`
      : f.verdict === 'unverified'
        ? `Rolled back, not verified: ${f.measured}`
        : f.allVerified
          ? 'Rolled back; procedures verified, service health not measured'
          : 'Rollback finished, verification pending';
  return fillTemplate(ROLLBACK_COMPLETE_TEMPLATE, {
    Duration: f.durationMinutes === 1 ? '1 minute' : `${f.durationMinutes} minutes`,
    Status: status,
    'Current Version': f.currentVersions.join('; ') || 'unchanged',
    'Health checks': HEALTH[f.verdict],
    'Error rate': f.errorRatePct === undefined ? 'not measured' : `${round(f.errorRatePct)}%`,
    Latency: f.latencyMs === undefined ? 'not measured' : `${round(f.latencyMs)} ms`,
    'All alarms': f.alarmsCleared ? 'Clear' : 'not confirmed yet',
    'Postmortem meeting': f.postmortem ?? 'to be scheduled (reminder in 24 hours)',
  });
}

export function round(pct: number): number {
  return Math.round(pct * 100) / 100;
}

/** The header every other message shares: what, where, how bad. */
export interface IncidentHeader {
  incidentId: string;
  service: string;
  environment: string;
  severity: string;
}

function message(title: string, h: IncidentHeader, lines: string[]): string {
  return [
    `**${title}**`,
    '',
    `**Service:** ${h.service} (${titleCase(h.environment)})`,
    `**Severity:** ${h.severity}`,
    `**Incident:** ${h.incidentId}`,
    ...lines,
  ].join('\n');
}

export function renderConfirmationRequest(
  h: IncidentHeader,
  reason: string,
  deadline: string,
  plan: { changes?: string[]; refire?: string } = {},
): string {
  return message('🟠 ROLLBACK NEEDS CONFIRMATION', h, [
    `**Reason:** ${reason}`,
    `**Deadline:** ${deadline}`,
    ...(plan.refire ? [`**Already rolled back:** ${plan.refire}`] : []),
    ...(plan.changes && plan.changes.length > 0
      ? ['', '**Planned change (confirm approves exactly this):**', ...plan.changes.map((c) => `- ${c}`)]
      : []),
    '',
    `Confirm or reject: temporal workflow signal --workflow-id ${h.incidentId} --name confirm --input '{"by":"<you>"}'`,
  ]);
}

export function renderInvestigationRequest(h: IncidentHeader, reason: string, deadline: string): string {
  return message('🟠 INVESTIGATION NEEDED BEFORE ROLLBACK', h, [
    `**Reason:** ${reason}`,
    `**Deadline:** ${deadline}`,
    '',
    `Report: temporal workflow signal --workflow-id ${h.incidentId} --name investigationResult --input '{"rollback":true,"by":"<you>","notes":"..."}'`,
  ]);
}

export function renderEscalation(h: IncidentHeader, why: string, waitingFor: string): string {
  return message('🚨 ESCALATION', h, [`**Why:** ${why}`, `**Waiting for:** ${waitingFor}`]);
}

export function renderSlaWarning(h: IncidentHeader, deadline: string, minutesLeft: number): string {
  return message('⏰ SLA WARNING', h, [
    `**Deadline:** ${deadline} (${minutesLeft} minutes left, 80% of the time used)`,
  ]);
}

export function renderSlaBreach(h: IncidentHeader, deadline: string, phase: string): string {
  return message('🚨 SLA BREACHED', h, [`**Deadline:** ${deadline} passed`, `**Current phase:** ${phase}`]);
}

export function renderIncidentClosed(h: IncidentHeader, outcome: string, detail: string): string {
  return message(`ℹ️ INCIDENT CLOSED: ${outcome}`, h, [`**Detail:** ${detail}`]);
}

export function renderProcedureConfirmation(h: IncidentHeader, target: string, step: string, until: string): string {
  return message('🟠 ROLLBACK STEP NEEDS CONFIRMATION', h, [
    `**Procedure:** ${target}`,
    `**Step:** ${step} (destructive)`,
    `**Waits until:** ${until}, then gives up on this step`,
    '',
    `Confirm: temporal workflow signal --workflow-id ${h.incidentId} --name confirm --input '{"by":"<you>"}'`,
  ]);
}

export function renderRollbackFailed(h: IncidentHeader, detail: string): string {
  return message('❌ ROLLBACK FAILED: a human is needed', h, [`**Detail:** ${detail}`]);
}

export function renderFollowUpReminder(
  h: Omit<IncidentHeader, 'severity'>,
  stageTitle: string,
  items: readonly string[],
  openChecklist: string[],
): string {
  return [
    `**📋 POST-ROLLBACK ACTIONS: ${stageTitle}**`,
    '',
    `**Service:** ${h.service} (${titleCase(h.environment)})`,
    `**Incident:** ${h.incidentId}`,
    '',
    ...items.map((i) => `- ${i}`),
    ...(openChecklist.length > 0
      ? ['', '**Checklist items still open:**', ...openChecklist.map((i) => `- [ ] ${i}`)]
      : []),
  ].join('\n');
}
