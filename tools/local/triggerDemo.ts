// The trigger in `npm start`: started as a service of the local stack with the example catalog
// and a demo token, and the ready-to-paste `curl` that posts an Alertmanager alert for the demo
// service (a P1 incident for checkout-api; a second post is counted on the same incident).
import path from 'node:path';
import { startService, type Service } from './processes.js';

export const DEMO_TRIGGER_TOKEN = 'demo-token';
export const DEMO_ALERT_SERVICE = 'checkout-api';

/** An Alertmanager webhook v4 group with one critical alert for the demo Lambda service. */
export function demoAlertmanagerBody(): Record<string, unknown> {
  const labels = { alertname: 'CheckoutErrors', service: DEMO_ALERT_SERVICE, env: 'production', severity: 'critical' };
  return {
    version: '4',
    groupKey: '{}:{alertname="CheckoutErrors"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'rollback',
    groupLabels: { alertname: 'CheckoutErrors' },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://localhost:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { summary: 'checkout errors after release 3', errorRatePct: '12' },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://localhost:9090/graph',
        fingerprint: 'c0ffee0000000001',
      },
    ],
  };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `curl ... /v1/alerts/alertmanager` as it is printed, ready to paste. */
export function demoAlertCurl(triggerUrl: string, token = DEMO_TRIGGER_TOKEN): string {
  return [
    'curl -sS',
    `-H ${shellQuote(`Authorization: Bearer ${token}`)}`,
    `-H 'Content-Type: application/json'`,
    `-d ${shellQuote(JSON.stringify(demoAlertmanagerBody()))}`,
    `${triggerUrl}/v1/alerts/alertmanager`,
  ].join(' ');
}

/** The compiled trigger (dist/src/trigger/main.js) as a service of the local stack. */
export function startTriggerService(
  paths: { root: string; logDir: string },
  options: { address: string; taskQueue: string; port: number; catalog?: string; env?: NodeJS.ProcessEnv },
): Service {
  return startService('trigger', process.execPath, [path.join(paths.root, 'dist', 'src', 'trigger', 'main.js')], {
    logDir: paths.logDir,
    env: {
      TRIGGER_TOKENS: DEMO_TRIGGER_TOKEN,
      ROLLBACK_CATALOG: options.catalog ?? path.join(paths.root, 'catalog.example.yaml'),
      ...process.env,
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      TRIGGER_HOST: '127.0.0.1',
      TRIGGER_PORT: String(options.port),
      ...options.env,
    },
  });
}
