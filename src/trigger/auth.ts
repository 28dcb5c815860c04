// Bearer tokens for Alertmanager and plain JSON, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `authorization` is `Bearer <one of tokens>`. Every token is compared, none skipped. */
export function bearerTokenValid(authorization: string | undefined, tokens: string[]): boolean {
  const match = /^Bearer (.+)$/i.exec(authorization?.trim() ?? '');
  if (!match || tokens.length === 0) return false;
  // Equal-length digests: timingSafeEqual needs them, and the length of a token leaks nothing.
  const given = digest(match[1]!.trim());
  let valid = false;
  for (const token of tokens) if (timingSafeEqual(given, digest(token))) valid = true;
  return valid;
}
