// Shared pieces of the fast-check fuzz tests (test/unit/inputFuzz.test.ts,
// test/trigger/fuzz.devServer.test.ts): secret-looking values that must never be echoed, and
// inputs generated from a zod schema's own shape so most of them get past the first field.
import fc from 'fast-check';
import type { ZodTypeAny } from 'zod';

/** Runs per property; FUZZ_RUNS raises it for a longer hunt. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
/** Fixed so CI is repeatable; FUZZ_SEED=<n> replays a reported failure, FUZZ_SEED=random explores. */
export const FUZZ_SEED =
  process.env.FUZZ_SEED === 'random' ? Date.now() % 2_147_483_647 : Number(process.env.FUZZ_SEED ?? 20261129);

/** fast-check parameters: the seed and path are printed with any counterexample. */
export function fuzzParameters<T>(numRuns = FUZZ_RUNS): fc.Parameters<T> {
  return { numRuns, seed: FUZZ_SEED, endOnFailure: false };
}

// Every secret carries a marker that appears nowhere else, so an echo of it is found by one regex.
export const SECRET_MARK = /Zq[0-9a-f]{18}/;
const mark = fc
  .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 18, maxLength: 18 })
  .map((h) => `Zq${h}`);

/** A secret or a URL that may carry one, as people paste them into the wrong field. */
export const secretLike: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      'sk_live_%',
      'AKIA%',
      'ghp_%',
      'xoxb-1234-%',
      'password=%',
      'Bearer %',
      '-----BEGIN PRIVATE KEY-----\n%\n-----END PRIVATE KEY-----',
      'https://hooks.slack.com/services/T000/B000/%',
      'postgres://admin:%@orders.internal:5432/orders',
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/%',
      'https://user:%@example.com/callback',
      '%',
    ),
    mark,
  )
  .map(([template, secret]) => template.replace('%', secret));

/** The first secret-looking value in `text`, if any: the tests' "nothing echoed" check. */
export function echoedSecret(text: string): string | undefined {
  return SECRET_MARK.exec(text)?.[0];
}

/** Anything JSON can hold, secrets included. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  secretLike,
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer(), secretLike), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), secretLike), { maxKeys: 3 }),
);

interface Def {
  typeName?: string;
  [key: string]: unknown;
}
const defOf = (schema: ZodTypeAny) => (schema as unknown as { _def: Def })._def;

/**
 * Values shaped like `schema` accepts (its keys, enum values, element types), each field replaced
 * by junk or left out now and then: most inputs are nearly valid and fail deep inside.
 */
export function nearlyValid(schema: ZodTypeAny, depth = 0): fc.Arbitrary<unknown> {
  const shaped = shapedBy(schema, depth);
  return fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: junk });
}

function shapedBy(schema: ZodTypeAny, depth: number): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  const inner = (s: unknown) => nearlyValid(s as ZodTypeAny, depth + 1);
  switch (def.typeName) {
    case 'ZodString':
      return fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), secretLike, fc.constant(''));
    case 'ZodNumber':
      return fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double({ noNaN: false }));
    case 'ZodBoolean':
      return fc.boolean();
    case 'ZodEnum':
      return fc.oneof(fc.constantFrom(...(def.values as string[])), secretLike);
    case 'ZodNativeEnum':
      return fc.constantFrom(...Object.values(def.values as object));
    case 'ZodLiteral':
      return fc.constant(def.value);
    case 'ZodOptional':
    case 'ZodNullable':
      return fc.oneof(fc.constant(undefined), inner(def.innerType));
    case 'ZodDefault':
    case 'ZodCatch':
    case 'ZodBranded':
    case 'ZodReadonly':
      return inner(def.innerType ?? (def.type as unknown));
    case 'ZodEffects':
      return shapedBy(def.schema as ZodTypeAny, depth);
    case 'ZodPipeline':
      return shapedBy(def.in as ZodTypeAny, depth);
    case 'ZodLazy':
      return depth > 3 ? junk : shapedBy((def.getter as () => ZodTypeAny)(), depth + 1);
    case 'ZodArray':
      return depth > 3 ? fc.constant([]) : fc.array(inner(def.type), { maxLength: 3 });
    case 'ZodRecord':
      return depth > 3
        ? fc.constant({})
        : fc.dictionary(fc.string({ maxLength: 10 }), inner(def.valueType), { maxKeys: 3 });
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion': {
      const options = def.options as ZodTypeAny[] | Map<unknown, ZodTypeAny>;
      return fc.oneof(...[...options.values()].map((o) => shapedBy(o, depth)));
    }
    case 'ZodIntersection':
      return fc
        .tuple(shapedBy(def.left as ZodTypeAny, depth), shapedBy(def.right as ZodTypeAny, depth))
        .map(([a, b]) => (isObject(a) && isObject(b) ? { ...a, ...b } : a));
    case 'ZodObject': {
      if (depth > 4) return fc.constant({});
      const shape = (def.shape as () => Record<string, ZodTypeAny>)();
      const fields = Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, inner(field)]));
      return fc
        .tuple(
          fc.record(fields, { requiredKeys: [] }),
          // Now and then a key the schema does not know, holding a secret.
          fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), secretLike), { freq: 5 }),
        )
        .map(([record, extra]) => (extra ? { ...record, [extra[0]]: extra[1] } : record));
    }
    default:
      return junk;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
