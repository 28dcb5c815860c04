// Everything that talks to CloudWatch: the alarms in ALARM state (runbook "Verify CloudWatch
// alarms": `aws cloudwatch describe-alarms --state-value ALARM`), optionally by name prefix and tags.
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import type { VerificationCheck } from '../domain/verification.js';
import { fromAwsError } from './failures.js';

export interface AlarmInfo {
  name: string;
  reason?: string;
  updatedAt?: string;
}

export interface AlarmQuery {
  namePrefix?: string;
  /** Only alarms carrying every one of these tags. */
  tags?: Record<string, string>;
}

export function createCloudWatchActivities(client: CloudWatchClient) {
  async function hasTags(arn: string | undefined, wanted: Record<string, string>): Promise<boolean> {
    if (Object.keys(wanted).length === 0) return true;
    if (!arn) return false;
    const out = await client.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    const tags = new Map((out.Tags ?? []).map((t) => [t.Key, t.Value]));
    return Object.entries(wanted).every(([k, v]) => tags.get(k) === v);
  }

  async function listAlarmsInAlarm(query: AlarmQuery = {}): Promise<AlarmInfo[]> {
    const alarms: AlarmInfo[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await client.send(
          new DescribeAlarmsCommand({
            StateValue: 'ALARM' as StateValue,
            AlarmNamePrefix: query.namePrefix,
            NextToken: nextToken,
          }),
        );
        for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          // The state is checked here too: moto ignores StateValue when a name prefix is given.
          if (a.StateValue === 'ALARM' && (await hasTags(a.AlarmArn, query.tags ?? {}))) {
            alarms.push({
              name: a.AlarmName ?? '',
              reason: a.StateReason,
              updatedAt: a.StateUpdatedTimestamp?.toISOString(),
            });
          }
        }
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (error) {
      throw fromAwsError(error, `cloudwatch: alarms${query.namePrefix ? ` with prefix "${query.namePrefix}"` : ''}`);
    }
    return alarms;
  }

  /** The verification check "no alarm in ALARM state". */
  async function cloudwatchAlarmsCheck(query: AlarmQuery = {}): Promise<VerificationCheck> {
    const alarms = await listAlarmsInAlarm(query);
    return {
      check: 'cloudwatchAlarms',
      passed: alarms.length === 0,
      observed: alarms.length === 0 ? 'no alarm in ALARM' : alarms.map((a) => a.name).join(', '),
      expected: 'no alarm in ALARM',
      detail: alarms.map((a) => `${a.name}: ${a.reason ?? ''}`).join('; ') || undefined,
    };
  }

  return { listAlarmsInAlarm, cloudwatchAlarmsCheck };
}

export type CloudWatchActivities = ReturnType<typeof createCloudWatchActivities>;
