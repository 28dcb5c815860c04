// Turns a zod failure into one line that names each field at fault, for people and logs.
import type { ZodError, ZodType, ZodTypeDef } from 'zod';

export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parseWith<T>(schema: ZodType<T, ZodTypeDef, unknown>, raw: unknown): Parsed<T> {
  const result = schema.safeParse(raw);
  return result.success ? { ok: true, value: result.data } : { ok: false, message: describeZodError(result.error) };
}
