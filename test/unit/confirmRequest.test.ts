// The one `confirm` shape `{ by, notes?, step? }`, for incidents and procedures alike; a
// procedure still reads the legacy `note` as `notes` (running workflows may be sent it).
import { confirmRequest, procedureConfirmRequest } from '../../src/domain/schemas/confirmation.js';
import { parseWith } from '../../src/domain/validation.js';

function error(schema: typeof confirmRequest | typeof procedureConfirmRequest, raw: unknown): string {
  const parsed = parseWith(schema, raw);
  expect(parsed.ok).toBe(false);
  return parsed.ok ? '' : parsed.message;
}

test('both handlers take { by, notes, step }', () => {
  const full = { by: 'alice', notes: 'release 42 is bad', step: 'delete pods' };
  expect(parseWith(confirmRequest, full)).toEqual({ ok: true, value: full });
  expect(parseWith(procedureConfirmRequest, full)).toEqual({ ok: true, value: full });
  expect(parseWith(procedureConfirmRequest, { by: 'bob' })).toEqual({ ok: true, value: { by: 'bob' } });
});

test("a procedure reads a legacy note as notes; the incident's confirm never took note", () => {
  expect(parseWith(procedureConfirmRequest, { by: 'alice', step: 'delete pods', note: 'go' })).toEqual({
    ok: true,
    value: { by: 'alice', step: 'delete pods', notes: 'go' },
  });
  expect(error(confirmRequest, { by: 'alice', note: 'go' })).toContain('note');
});

test('a confirm without a person, or with both note and notes, names the field', () => {
  expect(error(procedureConfirmRequest, { step: 'delete pods' })).toContain('by');
  expect(error(procedureConfirmRequest, { by: ' ' })).toContain('by: must name a person');
  expect(error(procedureConfirmRequest, { by: 'alice', note: 'a', notes: 'b' })).toContain('note');
  expect(error(confirmRequest, { by: 'alice', step: '' })).toContain('step');
});
