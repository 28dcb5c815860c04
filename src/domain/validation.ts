// Turns a zod failure into one line that names each field at fault, for people and logs. Values
// are never quoted back: a secret pasted into the wrong field must not reach a log or a reply.
import type { ZodError, ZodIssue, ZodType, ZodTypeDef } from 'zod';

function fieldOf(path: (string | number)[]): string {
  return path.length > 0 ? path.join('.') : '(input)';
}

/** "field: message" for each field at fault in one issue; `field` formats a path. */
export function describeIssue(issue: ZodIssue, field: (path: (string | number)[]) => string = fieldOf): string[] {
  // An unknown key is a field of its own: name it, not the object that holds it.
  if (issue.code === 'unrecognized_keys')
    return issue.keys.map((key) => `${field([...issue.path, key])}: unknown field`);
  // zod adds "received '<the value>'", which may be anything the caller pasted.
  if (issue.code === 'invalid_enum_value') {
    const options = issue.options.map((o) => `'${String(o)}'`).join(' | ');
    return [`${field(issue.path)}: Invalid enum value. Expected ${options}`];
  }
  return [`${field(issue.path)}: ${issue.message}`];
}

export function describeZodError(error: ZodError): string {
  return error.issues.flatMap((issue) => describeIssue(issue)).join('; ');
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseWith<T>(schema: ZodType<T, ZodTypeDef, unknown>, raw: unknown): Parsed<T> {
  const result = schema.safeParse(raw);
  return result.success ? { ok: true, value: result.data } : { ok: false, message: describeZodError(result.error) };
}

/** JSON.parse's complaint without the text it quotes (`"sk_live_…" is not valid JSON`). */
export function jsonSyntaxError(error: unknown): string {
  return (error as Error).message.replace(/,\s*".*"(\.\.\.)? is not valid JSON$/s, '');
}
