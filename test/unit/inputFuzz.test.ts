// 1,000 generated inputs per workflow rollbackctl can start, through the check `rollbackctl start`
// makes before it connects (planStart: the registry's schema, or the incident's, which the
// trigger uses too): nothing but a UsageError is thrown, every fault names its field, and no
// secret-looking value from the input comes back in the message.
import fc from 'fast-check';
import type { ZodTypeAny } from 'zod';
import { INCIDENT_TYPE, planStart } from '../../src/cli/commands.js';
import { UsageError } from '../../src/cli/errors.js';
import { PROCEDURE_TYPES, STANDALONE_TYPES, startableSchema } from '../../src/domain/procedures/registry.js';
import { incidentRollbackInput } from '../../src/domain/schemas/incidentRollback.js';
import { echoedSecret, FUZZ_SEED, fuzzParameters, nearlyValid } from '../support/fuzz.js';

const TYPES = [...PROCEDURE_TYPES, ...STANDALONE_TYPES, INCIDENT_TYPE];

function schemaOf(type: string): ZodTypeAny {
  return (type === INCIDENT_TYPE ? incidentRollbackInput : startableSchema(type)) as ZodTypeAny;
}

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The faults of "<type>: invalid input: a: ...; b.c: ...", each "field: message". */
function faults(type: string, message: string): string[] {
  const prefix = `${type}: invalid input: `;
  expect(message.startsWith(prefix)).toBe(true);
  return message.slice(prefix.length).split(/; (?=[\w.[\]()]+: )/);
}

test.each(TYPES)(`%s: generated inputs are refused field by field, nothing echoed (seed ${FUZZ_SEED})`, (type) => {
  let refused = 0;
  fc.assert(
    fc.property(nearlyValid(schemaOf(type)), (input) => {
      let error: unknown;
      try {
        planStart({ type, input, requestedBy: 'fuzz' });
        return;
      } catch (e) {
        error = e;
      }
      refused += 1;
      if (!(error instanceof UsageError)) throw error;
      const secret = echoedSecret(error.message);
      if (secret) throw new Error(`echoed ${secret}: ${error.message}`);
      // A null incident input is taken as no --input at all, and the message names the flags.
      if (input === null && type === INCIDENT_TYPE) return void expect(error.message).toContain('--input');
      for (const fault of faults(type, error.message)) {
        const field = fault.slice(0, fault.indexOf(': '));
        // "(input)" is only right when the input is not an object at all.
        if (field === '' || (field === '(input)' && isObject(input))) {
          throw new Error(`a fault names no field: "${fault}" in ${error.message}`);
        }
      }
    }),
    fuzzParameters(),
  );
  // Most generated inputs are wrong somewhere: the property saw refusals, not only passes.
  expect(refused).toBeGreaterThan(100);
});
