// A background loop joined with the body it runs beside (the SLA timers beside the incident):
// never a floating promise whose error surfaces late, or only as an unhandled rejection.

/**
 * The body's result once it settles; the background's error as soon as it fails. A background
 * that finishes first leaves the body to finish. The caller still awaits `background` itself
 * after telling it to stop, so it never outlives the workflow.
 */
export function alongside<T>(body: Promise<T>, background: Promise<unknown>): Promise<T> {
  return Promise.race([body, background.then(() => body)]);
}
