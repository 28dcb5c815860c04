// Issue 9, defect 4: an unanswered confirmation with the "escalate" policy keeps paging every
// 5 minutes and the incident ends at its overall limit. It once stalled the time-skipping server
// (a second timer due at the limit was cancelled in the task where the limit fired: sdk-java#2606,
// now avoided in src/workflows/incident/sla.ts); on its own server here, so a stall shows alone.
import { orStallReport } from '../support/stall.js';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { aliasVersion } from '../support/aws.js';
import { entries, p1Input, useIncidentHarness, waitForPhase, type IncidentHarness } from '../support/incident.js';

let h: IncidentHarness;
useIncidentHarness((started) => (h = started));

const MIN = 60_000;

const pages = (fn: string, kind: string) =>
  h.receiver.posted<{ kind: string; text: string }>(`/escalation/${fn}`).filter((m) => m.kind === kind);
const slackTexts = (fn: string) => h.receiver.posted<{ text: string }>(`/slack/${fn}`).map((m) => m.text);

test('an unanswered "escalate" confirmation is paged every 5 minutes, and the incident expires at its limit', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { maxDurationHours: 1 }));
  await waitForPhase(handle, 'awaiting-confirmation');
  const unanswered = () =>
    pages(fn, 'escalation').filter((m) => m.text.includes('no confirm or reject within 5 minutes'));
  // Waiting for the result lets the server skip time in one go to the one-hour limit; the pages'
  // times in the timeline then show the 5-minute rhythm (no test sleeps racing the timers).
  const result: IncidentResult = await orStallReport(handle.result(), handle);
  expect(result).toMatchObject({ outcome: 'expired' });
  expect(await aliasVersion(h.moto, fn)).toBe('3');
  expect(pages(fn, 'escalation').at(-1)!.text).toContain("no decision within the incident's limit of 1 hours");
  expect(slackTexts(fn).at(-1)).toContain('INCIDENT CLOSED: expired');
  expect(unanswered()).toHaveLength(11);
  const paged = (await entries(handle, 'escalated')).filter((e) =>
    e.message.includes('no confirm or reject within 5 minutes'),
  );
  expect(paged).toHaveLength(11);
  const gaps = paged.slice(1).map((e, i) => Date.parse(e.at) - Date.parse(paged[i]!.at));
  for (const gap of gaps) expect(Math.abs(gap - 5 * MIN)).toBeLessThan(1000);
});
