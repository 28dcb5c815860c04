// `--input <json|@file>`: inline JSON or a file of it, with errors that name the flag.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { jsonSyntaxError } from '../domain/validation.js';
import { UsageError } from './errors.js';

export function parseJsonFlag(value: string, flag = '--input'): unknown {
  let text = value;
  let where = flag;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    where = `${flag} ${value}`;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`${flag}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : String(error)})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${where}: not valid JSON (${jsonSyntaxError(error)})`);
  }
}

/** A number flag such as `--error-rate 12.5`; commander names the flag in its message. */
export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('not a number.');
  return n;
}

/** A count such as `--limit 20` or `--interval 500`. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a positive integer.');
  return n;
}
