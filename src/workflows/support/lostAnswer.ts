// A write whose answer was lost (the server applied it, the client saw a 503 or a reset) is
// retried by an activity that reads first and finds nothing left to do, so it reports "no
// change". The workflow knows better: it read the old state before the write.
import { patched } from '@temporalio/workflow';

/** Runs from before this reported such a change as "nothing changed" (and skipped its checks). */
export const LOST_ANSWER_PATCH = 'lost-answer-is-a-change';

/**
 * Whether this run changed the target: the activity says so, or the workflow saw the target
 * elsewhere before the write and the write's retry found it done.
 */
export function changedThisRun(activityChanged: boolean, sawOldState: boolean): boolean {
  return activityChanged || (sawOldState && patched(LOST_ANSWER_PATCH));
}
