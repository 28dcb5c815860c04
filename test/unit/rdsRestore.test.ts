import {
  defaultTargetInstanceId,
  isTerminalInstanceState,
  isValidInstanceId,
  newestSnapshots,
  nextPollDelaySeconds,
  predictEndpoint,
  progressLine,
  resolveRestoreTime,
  restoreSettings,
  restoreTimeAfterBefore,
  restoreTimeOutsideWindow,
  snapshotAfterBefore,
  snapshotsBefore,
} from '../../src/domain/rdsRestore.js';
import { evaluateQuery } from '../../src/domain/databaseChecks.js';
import { fqdn, invalidRecordValue, sameRecordValues } from '../../src/domain/route53Records.js';
import { parseWith } from '../../src/domain/validation.js';
import {
  rdsPointInTimeRestoreInput,
  rdsSnapshotRestoreInput,
  splitLegacyResume,
} from '../../src/domain/schemas/rdsRestore.js';

test('the newest snapshots come first, five at most, ties broken by id', () => {
  const snaps = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => ({
    snapshotId: id,
    instanceId: 'db',
    createdAt: `2026-11-2${Math.min(i, 5)}T00:00:00.000Z`,
  }));
  expect(newestSnapshots(snaps).map((s) => s.snapshotId)).toEqual(['g', 'f', 'e', 'd', 'c']);
});

test('polls back off from 5 s by half each time up to the maximum', () => {
  expect([1, 2, 3, 4, 5, 6, 7].map((p) => nextPollDelaySeconds(p))).toEqual([5, 8, 11, 17, 25, 30, 30]);
  expect(nextPollDelaySeconds(10, 60)).toBe(60);
});

test('failed and incompatible states are terminal; creating and backing-up are not', () => {
  expect(['failed', 'incompatible-restore', 'incompatible-parameters'].every(isTerminalInstanceState)).toBe(true);
  expect(['creating', 'backing-up', 'modifying', 'available'].some(isTerminalInstanceState)).toBe(false);
});

test('the new endpoint is the source endpoint with the identifier replaced', () => {
  expect(predictEndpoint('orders-prod.abc123.us-east-1.rds.amazonaws.com', 'orders-prod', 'orders-new')).toBe(
    'orders-new.abc123.us-east-1.rds.amazonaws.com',
  );
  expect(predictEndpoint(undefined, 'orders-prod', 'orders-new')).toBeUndefined();
});

test('the default target is a valid identifier from the start time, at most 63 characters', () => {
  expect(defaultTargetInstanceId('orders-prod', new Date('2026-11-27T10:05:00Z'))).toBe(
    'orders-prod-restored-202611271005',
  );
  const long = defaultTargetInstanceId('a'.repeat(70), new Date('2026-11-27T10:05:00Z'));
  expect(long).toHaveLength(63);
  expect(isValidInstanceId(long)).toBe(true);
  expect(isValidInstanceId('orders--prod')).toBe(false);
});

test('a restore time is checked against whichever bounds RDS reports', () => {
  const window = { earliest: '2026-11-20T00:00:00Z', latest: '2026-11-27T10:00:00Z' };
  expect(restoreTimeOutsideWindow('2026-11-25T00:00:00Z', window)).toBeUndefined();
  expect(restoreTimeOutsideWindow('2026-11-19T00:00:00Z', window)).toBe(
    'is before the earliest restorable time 2026-11-20T00:00:00Z',
  );
  expect(restoreTimeOutsideWindow('2026-11-28T00:00:00Z', { latest: window.latest })).toContain('after the latest');
  expect(restoreTimeOutsideWindow('2020-01-01T00:00:00Z', {})).toBeUndefined();
});

test('the progress line shows status, elapsed time, polls and the limit', () => {
  expect(progressLine({ instanceId: 'db-new', status: 'creating', elapsedSeconds: 245, polls: 12 }, 10_800)).toBe(
    'db-new  creating  4m05s elapsed  12 polls  (limit 3h00m00s)',
  );
});

test('a query value passes or fails its expectation with the reason', () => {
  expect(evaluateQuery('rows', '42', { min: 1 })).toMatchObject({ passed: true, expected: '>= 1' });
  expect(evaluateQuery('rows', 'x', { min: 1 })).toMatchObject({ passed: false, detail: 'value is not a number' });
  expect(evaluateQuery('version', '1', { equals: 2 })).toMatchObject({ passed: false, detail: 'value differs' });
  expect(evaluateQuery('newest', null)).toMatchObject({ passed: false, observed: 'NULL' });
  expect(evaluateQuery('newest', undefined)).toMatchObject({ passed: false, observed: '(no rows)' });
});

test('record values compare regardless of order, case and trailing dots', () => {
  expect(fqdn('API.example.com')).toBe('api.example.com.');
  expect(sameRecordValues('CNAME', ['Blue.example.com'], ['blue.example.com.'])).toBe(true);
  expect(sameRecordValues('A', ['192.0.2.1', '192.0.2.2'], ['192.0.2.2', '192.0.2.1'])).toBe(true);
  expect(invalidRecordValue('A', '300.0.0.1')).toContain('IPv4');
  expect(invalidRecordValue('AAAA', '2001:db8::1')).toBeUndefined();
});

test('restore inputs name every field at fault and fill the documented defaults', () => {
  const ok = parseWith(rdsSnapshotRestoreInput, {
    sourceInstanceId: 'orders-prod',
    app: { namespace: 'shop', deployment: 'orders' },
  });
  expect(ok).toMatchObject({
    ok: true,
    value: {
      maxWaitSeconds: 10_800,
      pollWindowSeconds: 0,
      dryRun: false,
      app: { env: 'DATABASE_HOST', rolloutTimeoutSeconds: 600 },
    },
  });
  expect(parseWith(rdsSnapshotRestoreInput, { sourceInstanceId: 'orders-prod', snapshotID: 'x' })).toEqual({
    ok: false,
    message: 'snapshotID: unknown field',
  });
  expect(parseWith(rdsPointInTimeRestoreInput, { sourceInstanceId: 'orders-prod' })).toEqual({
    ok: false,
    message: 'restoreTime: Required',
  });
  expect(
    parseWith(rdsPointInTimeRestoreInput, {
      sourceInstanceId: 'orders-prod',
      restoreTime: 'latest',
      verify: { database: 'orders', user: 'app', passwordEnv: 'not a name', queries: [] },
    }),
  ).toEqual({
    ok: false,
    message:
      'verify.passwordEnv: must be the name of an environment variable of the worker; verify.queries: must list at least one query',
  });
});

test('only snapshots created strictly before `before` remain; one without a time is never shown to predate it', () => {
  const snaps = [
    { snapshotId: 'a', instanceId: 'db', createdAt: '2026-11-20T00:00:00.000Z' },
    { snapshotId: 'b', instanceId: 'db', createdAt: '2026-11-21T00:00:00.000Z' },
    { snapshotId: 'c', instanceId: 'db' },
  ];
  expect(snapshotsBefore(snaps, '2026-11-21T00:00:00Z').map((s) => s.snapshotId)).toEqual(['a']);
  expect(snapshotsBefore(snaps, '2026-11-21T01:00:00+02:00').map((s) => s.snapshotId)).toEqual(['a']);
  expect(snapshotsBefore(snaps)).toHaveLength(3);
  expect(snapshotAfterBefore(snaps[0]!, '2026-11-21T00:00:00Z')).toBeUndefined();
  expect(snapshotAfterBefore(snaps[1]!, '2026-11-21T00:00:00Z')).toContain('was created at 2026-11-21T00:00:00.000Z');
  expect(snapshotAfterBefore(snaps[2]!, '2026-11-21T00:00:00Z')).toContain('has no creation time yet');
});

test('"latest" with `before` becomes a fixed time no later than `before`; a later explicit time is refused', () => {
  const window = { earliest: '2026-11-20T00:00:00.000Z', latest: '2026-11-27T08:00:00.000Z' };
  expect(resolveRestoreTime('latest', '2026-11-27T07:00:00Z', window)).toBe('2026-11-27T07:00:00.000Z');
  expect(resolveRestoreTime('latest', '2026-11-27T09:00:00Z', window)).toBe('2026-11-27T08:00:00.000Z');
  expect(resolveRestoreTime('latest', undefined, window)).toBe('latest');
  expect(resolveRestoreTime('2026-11-26T00:00:00Z', '2026-11-27T07:00:00Z', window)).toBe('2026-11-26T00:00:00Z');
  expect(restoreTimeAfterBefore('2026-11-27T07:00:01Z', '2026-11-27T07:00:00Z')).toContain('is after before=');
  expect(restoreTimeAfterBefore('2026-11-27T07:00:00Z', '2026-11-27T07:00:00Z')).toBeUndefined();
  expect(restoreTimeAfterBefore('2026-11-28T00:00:00Z')).toBeUndefined();
});

test("settings not given come from the source; the engine's default option group is left to RDS", () => {
  const source = {
    instanceClass: 'db.r6g.large',
    securityGroupIds: ['sg-1', 'sg-2'],
    subnetGroupName: 'private',
    dbParameterGroupName: 'orders-params',
    optionGroupName: 'default:postgres-13',
  };
  expect(restoreSettings({ securityGroupIds: ['sg-9'] }, source)).toEqual({
    securityGroupIds: ['sg-9'],
    subnetGroupName: 'private',
    dbParameterGroupName: 'orders-params',
  });
  expect(restoreSettings({}, { ...source, optionGroupName: 'orders-options' })).toMatchObject({
    optionGroupName: 'orders-options',
  });
  expect(restoreSettings({ instanceClass: 'db.t3.small' }, undefined)).toEqual({ instanceClass: 'db.t3.small' });
});

test('`before` and `pin` are checked field by field', () => {
  expect(
    parseWith(rdsSnapshotRestoreInput, {
      sourceInstanceId: 'orders-prod',
      before: '2026-11-27 08:00',
      pin: { snapshotId: 'x' },
      allowMarkedTarget: true,
    }),
  ).toEqual({
    ok: false,
    message: 'before: must be an ISO 8601 time with a zone; pin.targetInstanceId: Required',
  });
});

test('the resume state is no field of the public input; a legacy `input.resume` is split off before parsing', () => {
  const resume = { plan: { sourceInstanceId: 'orders-prod' }, adopted: false, waitStartedAtMs: 1, polls: 3, run: 2 };
  expect(parseWith(rdsSnapshotRestoreInput, { sourceInstanceId: 'orders-prod', resume })).toEqual({
    ok: false,
    message: 'resume: unknown field',
  });
  const split = splitLegacyResume({ sourceInstanceId: 'orders-prod', resume });
  expect(split).toEqual({ input: { sourceInstanceId: 'orders-prod' }, legacyResume: resume });
  expect(parseWith(rdsSnapshotRestoreInput, split.input)).toMatchObject({ ok: true });
  expect(splitLegacyResume({ sourceInstanceId: 'orders-prod' })).toEqual({
    input: { sourceInstanceId: 'orders-prod' },
  });
  expect(splitLegacyResume('not an object')).toEqual({ input: 'not an object' });
});
