// An environment variable holding a comma-separated list (`a, b,c`): trimmed, empty entries dropped,
// unset read as empty.
import { z } from 'zod';

export const commaList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
