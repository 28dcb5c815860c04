// The incident's words are the runbook's: the announcement templates, the checklist and the
// post-rollback actions are compared with the runbook's own text (a verbatim copy in
// docs/runbook/), and rendered announcements keep the templates' shape line for line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  renderRollbackComplete,
  renderRollbackInProgress,
  ROLLBACK_COMPLETE_TEMPLATE,
  ROLLBACK_IN_PROGRESS_TEMPLATE,
} from '../../src/domain/incident/announcements.js';
import { CHECKLIST } from '../../src/domain/incident/checklist.js';
import { FOLLOW_UP_STAGES } from '../../src/domain/incident/followUps.js';
import { repoRoot } from '../support/tools.js';

const runbook = readFileSync(path.join(repoRoot, 'docs/runbook/rollback-procedures.md'), 'utf8');

/** The body of the first ```markdown block after `heading`. */
function templateAfter(heading: string): string {
  const from = runbook.indexOf(heading);
  expect(from).toBeGreaterThan(-1);
  const match = /```markdown\n([\s\S]*?)\n```/.exec(runbook.slice(from));
  return match![1]!;
}

function section(heading: string): string {
  const from = runbook.indexOf(heading);
  const rest = runbook.slice(from + heading.length);
  return rest.slice(0, rest.search(/\n## /));
}

/** A pattern for the template with every value free: labels, headings and fixed lines stay. */
function shapeOf(template: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lines = template.split('\n').map((line) => {
    const bold = /^(\*\*[^*]+:\*\* )/.exec(line);
    if (bold) return `${escape(bold[1]!)}.+`;
    const item = /^(- [^:]+: )/.exec(line);
    if (item) return `${escape(item[1]!)}.+`;
    return escape(line).replace(/\d+/g, '\\d+');
  });
  return new RegExp(`^${lines.join('\n')}$`);
}

test("the announcement templates are the runbook's, character for character", () => {
  expect(ROLLBACK_IN_PROGRESS_TEMPLATE).toBe(templateAfter('### Rollback Announcement Template'));
  expect(ROLLBACK_COMPLETE_TEMPLATE).toBe(templateAfter('### Rollback Complete Template'));
});

test('"ROLLBACK IN PROGRESS" rendered from state keeps the runbook template line for line', () => {
  const text = renderRollbackInProgress({
    environment: 'production',
    reason: 'checkout errors after release 3',
    targets: ['lambdaAliasRollback functionName=checkout-api -> previous version/revision'],
    expectedMinutes: 15,
    impact: 'P1: errors 12% > 5%',
    incidentCommander: 'ic-alice',
  });
  expect(text).toMatch(shapeOf(ROLLBACK_IN_PROGRESS_TEMPLATE));
  expect(text).toContain('**Environment:** Production');
  expect(text).toContain('**Reason:** checkout errors after release 3');
  expect(text).toContain('**Expected Duration:** ~15 minutes');
  expect(text).toContain('**Incident Commander:** ic-alice');
  expect(text).not.toContain('[');
});

test('a P0 announcement promises its own 5-minute update', () => {
  const text = renderRollbackInProgress({
    environment: 'staging',
    reason: 'outage',
    targets: [],
    expectedMinutes: 5,
    impact: 'checkout down',
  });
  expect(text).toMatch(shapeOf(ROLLBACK_IN_PROGRESS_TEMPLATE));
  expect(text).toContain('- Will provide update in 5 minutes');
  expect(text).toContain('**Incident Commander:** not assigned yet');
});

test('"ROLLBACK COMPLETE" rendered from state keeps the runbook template line for line', () => {
  const text = renderRollbackComplete({
    durationMinutes: 4,
    allVerified: true,
    currentVersions: ['lambdaAliasRollback: version 2'],
    verdict: 'healthy',
    measured: '3 readings in a row with errors < 1%',
    errorRatePct: 0.123,
    latencyMs: 87,
    alarmsCleared: false,
  });
  expect(text).toMatch(shapeOf(ROLLBACK_COMPLETE_TEMPLATE));
  expect(text).toContain('**Duration:** 4 minutes');
  expect(text).toContain('**Status:** Services restored');
  expect(text).toContain('**Current Version:** lambdaAliasRollback: version 2');
  expect(text).toContain('- Health checks: ✅ Passing');
  expect(text).toContain('- Error rate: 0.12%');
  expect(text).toContain('- Latency: 87 ms');
  expect(text).toContain('- All alarms: not confirmed yet');
  expect(text).toContain('- Postmortem meeting: to be scheduled (reminder in 24 hours)');
});

test('"ROLLBACK COMPLETE" says what was not measured instead of claiming it', () => {
  const text = renderRollbackComplete({
    durationMinutes: 1,
    allVerified: false,
    currentVersions: [],
    verdict: 'not-checked',
    measured: 'no health source given',
    alarmsCleared: false,
  });
  expect(text).toContain('**Status:** Rollback finished, verification pending');
  expect(text).toContain('- Health checks: ⚪ Not checked');
  expect(text).toContain('- Error rate: not measured');
  expect(text).toContain('- Latency: not measured');
});

test('"ROLLBACK COMPLETE" never says "restored" or "passing" for an unhealthy or unreadable service (defect 2)', () => {
  const unhealthy = renderRollbackComplete({
    durationMinutes: 2,
    allVerified: true,
    currentVersions: [],
    verdict: 'unhealthy',
    measured: 'not 3 readings in a row with errors < 1% (readings: 60%, 60%)',
    errorRatePct: 60,
    alarmsCleared: false,
  });
  expect(unhealthy).toContain('**Status:** Rolled back, service still unhealthy: not 3 readings in a row');
  expect(unhealthy).toContain('- Health checks: ❌ Failing');
  expect(unhealthy).toContain('- Error rate: 60%');
  const unreadable = renderRollbackComplete({
    durationMinutes: 2,
    allVerified: true,
    currentVersions: [],
    verdict: 'unverified',
    measured: 'no reading could be taken',
    alarmsCleared: false,
  });
  expect(unreadable).toContain('**Status:** Rolled back, not verified: no reading could be taken');
  expect(unreadable).not.toContain('Passing');
});

test("the checklist is the runbook's 12 items, in order", () => {
  const items = [...section('## Rollback Checklist').matchAll(/^- \[ \] (.+)$/gm)].map((m) => m[1]);
  expect(items).toHaveLength(12);
  expect(CHECKLIST.map((i) => i.text)).toEqual(items);
});

test("the follow-up stages are the runbook's post-rollback actions", () => {
  const text = section('## Post-Rollback Actions');
  const stages = [...text.matchAll(/^\d\. \*\*(.+):\*\*\n((?: {3}- .+\n?)+)/gm)].map((m) => ({
    title: m[1],
    items: m[2]!
      .trim()
      .split('\n')
      .map((l) => l.replace(/^\s*- /, '')),
  }));
  expect(FOLLOW_UP_STAGES.map((s) => ({ title: s.title, items: [...s.items] }))).toEqual(stages);
});
