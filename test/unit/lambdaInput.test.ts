import { previousVersion, publishedVersions } from '../../src/domain/lambdaVersions.js';
import { lambdaAliasRollbackInput } from '../../src/domain/schemas/lambdaAliasRollback.js';
import { parseWith } from '../../src/domain/validation.js';

describe('previous Lambda version', () => {
  test('is the highest published version below the current one, ignoring $LATEST', () => {
    expect(previousVersion(['$LATEST', '1', '2', '3'], '3')).toBe('2');
    expect(previousVersion(['$LATEST', '1', '10', '9'], '10')).toBe('9');
    expect(previousVersion(['$LATEST', '1', '2', '4'], '4')).toBe('2');
  });
  test('does not exist for the first version or $LATEST', () => {
    expect(previousVersion(['$LATEST', '1'], '1')).toBeUndefined();
    expect(previousVersion(['$LATEST', '1', '2'], '$LATEST')).toBeUndefined();
  });
  test('published versions sort numerically', () => {
    expect(publishedVersions(['10', '$LATEST', '9', '1'])).toEqual([1, 9, 10]);
  });
});

describe('lambdaAliasRollback input', () => {
  test('defaults the alias to production and dryRun to false, and accepts a numeric version', () => {
    const parsed = parseWith(lambdaAliasRollbackInput, { functionName: 'checkout', toVersion: 2 });
    expect(parsed).toEqual({
      ok: true,
      value: { functionName: 'checkout', alias: 'production', toVersion: '2', dryRun: false, allowMarkedTarget: false },
    });
  });
  test('a missing functionName is named', () => {
    const parsed = parseWith(lambdaAliasRollbackInput, { alias: 'production' });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(/^functionName: Required/);
  });
  test('a version that is not a number is named', () => {
    const parsed = parseWith(lambdaAliasRollbackInput, { functionName: 'f', toVersion: '$LATEST' });
    expect(!parsed.ok && parsed.message).toMatch(/^toVersion: must be a published version number/);
  });
  test('an unknown field is refused rather than ignored', () => {
    const parsed = parseWith(lambdaAliasRollbackInput, { functionName: 'f', fnuctionVersion: '2' });
    expect(!parsed.ok && parsed.message).toContain('fnuctionVersion: unknown field');
  });
});
