// The rollback mark's annotation: parsing what people may have edited, and keeping it small.
import { marksOf, readMarks, withMark, ROLLED_BACK_FROM_ANNOTATION } from '../../src/domain/kubernetes/rollbackMark.js';
import type { Deployment, ReplicaSet } from '../../src/domain/kubernetes/objects.js';

const mark = (i: number) => ({
  templateHash: `h${i}`,
  revision: i,
  at: `2026-11-28T04:${String(i).padStart(2, '0')}:00Z`,
});
const annotated = (value: string) => ({ [ROLLED_BACK_FROM_ANNOTATION]: value });

test('a malformed or hand-edited annotation counts as no mark, and bad entries are dropped', () => {
  expect(readMarks(annotated('not json'))).toEqual([]);
  expect(readMarks(annotated('{"templateHash":"x"}'))).toEqual([]);
  expect(readMarks(annotated(JSON.stringify([mark(1), { templateHash: 'y' }])))).toEqual([mark(1)]);
  expect(readMarks(undefined)).toEqual([]);
});

test('marks from the Deployment and its ReplicaSets are merged once each, oldest first', () => {
  const deployment = {
    metadata: { annotations: annotated(JSON.stringify([mark(2)])) },
    spec: {},
  } as unknown as Deployment;
  const rs = {
    metadata: { annotations: annotated(JSON.stringify([mark(1), mark(2)])) },
    spec: {},
  } as unknown as ReplicaSet;
  expect(marksOf(deployment, [rs])).toEqual([mark(1), mark(2)]);
});

test('the annotation keeps the 10 newest marks', () => {
  const marks = Array.from({ length: 10 }, (_, i) => mark(i));
  const kept = JSON.parse(withMark(marks, mark(10))) as unknown[];
  expect(kept).toHaveLength(10);
  expect(kept[0]).toEqual(mark(1));
  expect(kept[9]).toEqual(mark(10));
});
