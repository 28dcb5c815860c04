// The natural checks of the procedures (docs/verification.md, "Where it runs"): what each builds
// and how they join the input's `verify`.
import { combineChecks, planCleanCheck, podStatusChecks } from '../../src/domain/naturalChecks.js';
import { checkList } from '../../src/domain/schemas/verifyRollback.js';

test('podStatus of each Deployment, short and at the first passing reading, valid as the suite parses it', () => {
  const checks = podStatusChecks([
    { namespace: 'shop', deployment: 'web' },
    { namespace: 'shop', deployment: 'worker' },
  ]);
  expect(checks).toEqual([
    {
      check: 'podStatus',
      namespace: 'shop',
      deployment: 'web',
      timeoutSeconds: 120,
      intervalSeconds: 5,
      consecutive: 1,
    },
    {
      check: 'podStatus',
      namespace: 'shop',
      deployment: 'worker',
      timeoutSeconds: 120,
      intervalSeconds: 5,
      consecutive: 1,
    },
  ]);
  expect(checkList.parse([...checks, planCleanCheck('/srv/infra')])).toEqual([...checks, planCleanCheck('/srv/infra')]);
});

test('the natural checks come first, then the input, and a check given twice runs once', () => {
  const natural = podStatusChecks([{ namespace: 'shop', deployment: 'web' }]);
  const given = checkList.parse([
    { check: 'podStatus', namespace: 'shop', deployment: 'web', timeoutSeconds: 120, intervalSeconds: 5 },
    { check: 'httpHealth', url: 'http://web.shop/health' },
  ]);
  expect(combineChecks(natural, given).map((c) => c.check)).toEqual(['podStatus', 'httpHealth']);
  expect(combineChecks([], undefined)).toEqual([]);
});
