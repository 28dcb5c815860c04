import { lineDiff, stableJson } from '../../src/domain/textDiff.js';

test('a line diff shows removed lines before added ones and nothing for unchanged lines', () => {
  expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toBe('- b\n+ B\n+ d');
  expect(lineDiff('same', 'same')).toBe('');
});

test('stable JSON sorts keys so diffs show content changes only', () => {
  expect(stableJson({ b: 1, a: { d: 2, c: [3] } })).toBe(stableJson({ a: { c: [3], d: 2 }, b: 1 }));
});
