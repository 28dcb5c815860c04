// How a procedure workflow with a `status` query begins and fails: its input is parsed (a bad
// field fails it at once, non-retryably, naming the workflow and the field), so is the plan's
// `pin` it was given back, its `status` query answers from the first step, and a failure of an
// activity is reported with that activity's own message ("kubernetes: deployment "x" not found").
// The workflow file keeps only its steps, in runbook order.
import type { ZodType, ZodTypeDef } from 'zod';
import { asProcedure } from './failures.js';
import { parseInput } from './input.js';
import { trackProgress, type Progress } from './progress.js';

type Schema<T> = ZodType<T, ZodTypeDef, unknown>;

export interface ProcedureStart<Input, Pin = never> {
  input: Input;
  /** The plan's pin, parsed; undefined when the input has none (a dry run or an unpinned apply). */
  pin: Pin | undefined;
  progress: Progress;
}

export interface ProcedureSpec<Input, Pin> {
  workflowType: string;
  input: Schema<Input>;
  /** The schema of `input.pin`, for the procedures that check a pin themselves. */
  pin?: Schema<Pin>;
}

export async function runProcedure<Input, Pin, Result>(
  rawInput: unknown,
  spec: ProcedureSpec<Input, Pin>,
  body: (start: ProcedureStart<Input, Pin>) => Promise<Result>,
): Promise<Result> {
  return asProcedure(async () => {
    const input = parseInput(spec.input, rawInput, spec.workflowType);
    const rawPin = (input as { pin?: unknown }).pin;
    const pin =
      spec.pin === undefined || rawPin === undefined
        ? undefined
        : parseInput(spec.pin, rawPin, `${spec.workflowType}: pin`);
    return body({ input, pin, progress: trackProgress() });
  });
}
