// The runbook's "Post-Rollback Actions" as three reminders after a completed rollback.

const HOUR = 3_600_000;

export const FOLLOW_UP_STAGES = [
  {
    id: 'immediate',
    title: 'Immediate (Within 1 hour)',
    dueAfterMs: HOUR,
    items: [
      'Verify all systems operational',
      'Document rollback steps taken',
      'Update status page',
      'Notify stakeholders',
    ],
  },
  {
    id: 'short-term',
    title: 'Short-term (Within 24 hours)',
    dueAfterMs: 24 * HOUR,
    items: [
      'Conduct root cause analysis',
      'Create bug report with details',
      'Update runbooks if needed',
      'Schedule postmortem',
    ],
  },
  {
    id: 'medium-term',
    title: 'Medium-term (Within 1 week)',
    dueAfterMs: 7 * 24 * HOUR,
    items: [
      'Implement fix with thorough testing',
      'Add regression tests',
      'Review deployment process',
      'Update documentation',
    ],
  },
] as const;

export type FollowUpStageId = (typeof FOLLOW_UP_STAGES)[number]['id'];
export const FOLLOW_UP_STAGE_IDS = FOLLOW_UP_STAGES.map((s) => s.id) as [FollowUpStageId, ...FollowUpStageId[]];
