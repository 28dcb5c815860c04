// The choice of a Helm rollback's destination from `helm history` (src/domain/helm/history.ts).
import { chooseTarget, HelmPlanError, originOf, type HelmRevision } from '../../src/domain/helm/history.js';

const rev = (revision: number, status: string, description: string): HelmRevision => ({
  revision,
  status,
  description,
  updated: `2026-11-28T10:0${revision}:00Z`,
  chart: 'web-0.1.0',
  appVersion: '1.0',
});
const failedUpgrade = [
  rev(1, 'superseded', 'Install complete'),
  rev(2, 'deployed', 'Upgrade complete'),
  rev(3, 'failed', 'Upgrade "web" failed: context deadline exceeded'),
];

test('the default destination is the newest earlier revision that was deployed', () => {
  expect(chooseTarget('web', failedUpgrade, []).target.revision).toBe(2);
});

test('a rollback copy counts as its source: no rollback onto the content already running', () => {
  const history = [
    ...failedUpgrade.slice(0, 2),
    rev(3, 'superseded', 'Upgrade complete'),
    rev(4, 'deployed', 'Rollback to 2'),
  ];
  expect(originOf(history, history[3]!)).toBe(2);
  expect(chooseTarget('web', history, []).target.revision).toBe(3);
  const marks = [{ revision: 3, to: 2, at: '2026-11-28T10:05:00Z', by: 'wf' }];
  expect(chooseTarget('web', history, marks).target.revision).toBe(1);
  expect(chooseTarget('web', history, marks, { toRevision: 3 }).targetMark).toEqual(marks[0]);
  expect(chooseTarget('web', history, marks, { allowMarkedTarget: true }).target.revision).toBe(3);
});

test('a pending newest revision is the lock: the destination is the last deployed revision', () => {
  const history = [...failedUpgrade.slice(0, 2), rev(3, 'pending-upgrade', 'Preparing upgrade')];
  const choice = chooseTarget('web', history, []);
  expect(choice.target.revision).toBe(2);
  expect(choice.lock).toBe(
    'revision 3 is pending-upgrade (another operation (install/upgrade/rollback) is in progress)',
  );
});

test("a missing revision is helm's own refusal", () => {
  expect(() => chooseTarget('web', failedUpgrade, [], { toRevision: 9 })).toThrow(
    new HelmPlanError('release has no 9 version'),
  );
  expect(() => chooseTarget('web', [rev(1, 'deployed', 'Install complete')], [])).toThrow(
    'release "web" has no revision before 1 that was deployed with other content to roll back to',
  );
});
