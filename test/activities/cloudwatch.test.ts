// The CloudWatch alarms activity against moto, through the current @aws-sdk/client-cloudwatch
// (its JSON protocol is understood by moto 5.2.5: see README, "CloudWatch client").
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { createCloudWatchActivities } from '../../src/activities/cloudwatch.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { runActivity } from '../support/activityContext.js';

let moto: MotoServer;
let client: CloudWatchClient;
let cloudwatch: ReturnType<typeof createCloudWatchActivities>;
const run = runActivity;

async function alarm(name: string, state: 'OK' | 'ALARM', tags: Record<string, string> = {}) {
  await client.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      MetricName: '5XXError',
      Namespace: 'AWS/ApiGateway',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  await client.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state as StateValue, StateReason: `test: ${state}` }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  client = new CloudWatchClient({ endpoint: moto.endpoint, region: moto.region });
  cloudwatch = createCloudWatchActivities(client);
  await alarm('orders-5xx', 'ALARM', { service: 'orders' });
  await alarm('orders-latency', 'OK', { service: 'orders' });
  await alarm('payments-5xx', 'ALARM', { service: 'payments' });
});
afterAll(async () => {
  client.destroy();
  await moto.stop();
});

test('returns only the alarms in ALARM state', async () => {
  const alarms = await run(cloudwatch.listAlarmsInAlarm, {});
  expect(alarms.map((a) => a.name).sort()).toEqual(['orders-5xx', 'payments-5xx']);
  expect(alarms[0]?.reason).toBe('test: ALARM');
});

test('filters the alarms in ALARM by name prefix and by tag', async () => {
  expect((await run(cloudwatch.listAlarmsInAlarm, { namePrefix: 'orders-' })).map((a) => a.name)).toEqual([
    'orders-5xx',
  ]);
  expect((await run(cloudwatch.listAlarmsInAlarm, { tags: { service: 'payments' } })).map((a) => a.name)).toEqual([
    'payments-5xx',
  ]);
});

test('the alarms check fails while an alarm fires and passes when none does', async () => {
  expect(await run(cloudwatch.cloudwatchAlarmsCheck, { namePrefix: 'orders-' })).toMatchObject({
    check: 'cloudwatchAlarms',
    passed: false,
    observed: 'orders-5xx',
  });
  expect(await run(cloudwatch.cloudwatchAlarmsCheck, { namePrefix: 'inventory-' })).toMatchObject({ passed: true });
});
