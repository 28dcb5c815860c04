// Provider: CloudWatch. `cloudwatchAlarms` (no alarm in ALARM for a prefix or tags: runbook
// `aws cloudwatch describe-alarms --state-value ALARM`), `errorRate` from metric math
// (GetMetricData), and `replicationLag` (AWS/RDS ReplicaLag of each read replica).
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { reading, type CheckResult } from '../../domain/verification.js';
import { createCloudWatchActivities } from '../cloudwatch.js';
import { fromAwsError } from '../failures.js';
import { judgePct } from './http.js';

const now = () => new Date().toISOString();
/** Why the metrics could not be read; a denial names its IAM action. */
const unreadableDetail = (error: unknown) => (fromAwsError(error, 'cloudwatch: metric data') as Error).message;

export function createCloudWatchChecks(client: CloudWatchClient) {
  const { listAlarmsInAlarm } = createCloudWatchActivities(client);

  async function cloudwatchAlarms(spec: CheckOf<'cloudwatchAlarms'>): Promise<CheckResult> {
    const scope = [
      spec.namePrefix ? `prefix "${spec.namePrefix}"` : undefined,
      spec.tags
        ? `tags ${Object.entries(spec.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`
        : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    const base = {
      check: 'cloudwatchAlarms',
      target: `CloudWatch alarms with ${scope}`,
      expected: 'no alarm in ALARM',
    };
    try {
      const alarms = await listAlarmsInAlarm({ namePrefix: spec.namePrefix, tags: spec.tags });
      if (alarms.length === 0) return reading(base, 'passed', 'no alarm in ALARM', now(), { value: 0 });
      return reading(base, 'failed', `${alarms.length} in ALARM: ${alarms.map((a) => a.name).join(', ')}`, now(), {
        value: alarms.length,
        detail: alarms.map((a) => `${a.name}: ${a.reason ?? ''}`).join('; '),
      });
    } catch (error) {
      return reading(base, 'unreadable', 'alarms not readable', now(), { detail: (error as Error).message });
    }
  }

  /** The newest datapoint of `resultId` over the lookback window; undefined when there is none. */
  async function newestValue(
    queries: MetricDataQuery[],
    resultId: string,
    lookbackMinutes: number,
  ): Promise<{ value: number; at: string } | undefined> {
    // The end a minute ahead: a datapoint of this very second is in the window (the API and moto
    // compare timestamps at whole seconds).
    const end = new Date(Date.now() + 60_000);
    const start = new Date(Date.now() - lookbackMinutes * 60_000);
    const out = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampDescending',
      }),
    );
    const result = (out.MetricDataResults ?? []).find((r) => r.Id === resultId);
    const points = (result?.Timestamps ?? [])
      .map((t, i) => ({ at: t, value: result?.Values?.[i] }))
      .filter((p): p is { at: Date; value: number } => typeof p.value === 'number' && Number.isFinite(p.value))
      .sort((a, b) => b.at.getTime() - a.at.getTime());
    return points[0] ? { value: points[0].value, at: points[0].at.toISOString() } : undefined;
  }

  async function errorRateFromMetrics(
    spec: CheckOf<'errorRate'>,
    source: Extract<CheckOf<'errorRate'>['source'], { type: 'cloudwatch' }>,
  ): Promise<CheckResult> {
    const resultId = source.resultId ?? source.queries[source.queries.length - 1]!.id;
    const base = { check: 'errorRate', target: `CloudWatch metric math "${resultId}"`, expected: `< ${spec.maxPct}%` };
    const queries: MetricDataQuery[] = source.queries.map((q) => ({
      Id: q.id,
      ReturnData: q.id === resultId,
      ...(q.expression !== undefined
        ? { Expression: q.expression }
        : {
            MetricStat: {
              Metric: {
                Namespace: q.metric!.namespace,
                MetricName: q.metric!.metricName,
                Dimensions: Object.entries(q.metric!.dimensions).map(([Name, Value]) => ({ Name, Value })),
              },
              Period: source.periodSeconds,
              Stat: q.metric!.stat,
            },
          }),
    }));
    try {
      const newest = await newestValue(queries, resultId, source.lookbackMinutes);
      if (!newest) {
        return reading(base, 'unreadable', 'no datapoint', now(), {
          detail: `no datapoint for "${resultId}" in the last ${source.lookbackMinutes} minutes`,
        });
      }
      return judgePct(base, newest.value, spec.maxPct, `datapoint at ${newest.at}`);
    } catch (error) {
      return reading(base, 'unreadable', 'metrics not readable', now(), { detail: unreadableDetail(error) });
    }
  }

  async function replicationLag(spec: CheckOf<'replicationLag'>): Promise<CheckResult> {
    const base = {
      check: 'replicationLag',
      target: `ReplicaLag of ${spec.replicas.join(', ')}`,
      expected: `<= ${spec.maxSeconds} s on every replica`,
    };
    const lags: { replica: string; seconds?: number }[] = [];
    try {
      for (const [i, replica] of spec.replicas.entries()) {
        const newest = await newestValue(
          [
            {
              Id: `lag${i}`,
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/RDS',
                  MetricName: 'ReplicaLag',
                  Dimensions: [{ Name: 'DBInstanceIdentifier', Value: replica }],
                },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
          `lag${i}`,
          spec.lookbackMinutes,
        );
        lags.push({ replica, seconds: newest?.value });
      }
    } catch (error) {
      return reading(base, 'unreadable', 'metrics not readable', now(), { detail: unreadableDetail(error) });
    }
    const observed = lags
      .map((l) => `${l.replica} ${l.seconds === undefined ? 'no datapoint' : `${l.seconds} s`}`)
      .join(', ');
    const worst = Math.max(...lags.map((l) => l.seconds ?? 0));
    if (lags.some((l) => l.seconds !== undefined && l.seconds > spec.maxSeconds)) {
      return reading(base, 'failed', observed, now(), { value: worst });
    }
    if (lags.some((l) => l.seconds === undefined)) {
      return reading(base, 'unreadable', observed, now(), {
        detail: `no ReplicaLag datapoint in the last ${spec.lookbackMinutes} minutes for some replica`,
      });
    }
    return reading(base, 'passed', observed, now(), { value: worst });
  }

  return { cloudwatchAlarms, errorRateFromMetrics, replicationLag };
}
