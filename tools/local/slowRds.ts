// Client of the slow-RDS moto launcher's control API (scripts/moto_launcher.py), for the demo,
// the tests and the bench.

export interface SlowRdsConfig {
  /** Seconds from an instance's creation to its outcome (0: moto's instant behaviour). */
  seconds?: number;
  outcome?: 'available' | 'failed';
  /** Seconds a restore call waits, after the instance exists, before it answers. */
  restoreResponseDelay?: number;
}

async function post(endpoint: string, path: string, body: object): Promise<unknown> {
  const res = await fetch(`${endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const answer = (await res.json()) as { error?: string };
  if (!res.ok) throw new Error(`slow RDS launcher ${path}: ${answer.error ?? res.status}`);
  return answer;
}

/** Applies to instances created from now on. */
export async function configureSlowRds(endpoint: string, config: SlowRdsConfig): Promise<void> {
  await post(endpoint, '/_slow_rds/config', config);
}

/** Moves the launcher's clock forward (keeps it in step with a time-skipping Temporal server). */
export async function advanceSlowRds(endpoint: string, seconds: number): Promise<void> {
  await post(endpoint, '/_slow_rds/advance', { seconds });
}
