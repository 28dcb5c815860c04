// Signal payloads come from people and scripts: each is validated, and a malformed one is
// recorded and ignored (a signal has no caller to answer, and must never fail the workflow).
import type { ZodType, ZodTypeDef } from 'zod';
import type { TimelineKind } from '../../domain/incident/timeline.js';
import { parseWith } from '../../domain/validation.js';

export type Recorder = (kind: TimelineKind, message: string, by?: string) => void;

export function acceptSignal<T>(
  record: Recorder,
  name: string,
  schema: ZodType<T, ZodTypeDef, unknown>,
  raw: unknown,
  apply: (value: T) => void,
): void {
  const parsed = parseWith(schema, raw);
  if (!parsed.ok) {
    const who = (raw as { by?: unknown } | undefined)?.by;
    record('ignored', `${name} ignored: invalid payload: ${parsed.message}`, typeof who === 'string' ? who : undefined);
    return;
  }
  apply(parsed.value);
}
