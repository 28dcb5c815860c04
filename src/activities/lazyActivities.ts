// Activities whose module (and the SDK it imports) loads on their first call, not at worker start:
// the AWS SDKs were a third of the time from `npm run worker` to polling (issue 13, goal 5). A worker
// registers activities by name before any runs, so the names are given up front; `Record<keyof T,
// true>` makes tsc reject a missing or unknown name.

type ActivityFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/** The activities of `load()`, each loading it on first call; a failed load is retried by the next call. */
export function lazyActivities<T extends ActivityFunctions>(
  names: Record<keyof T & string, true>,
  load: () => Promise<T>,
): T {
  const loaded = once(load);
  const activities: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const name of Object.keys(names)) {
    activities[name] = async (...args: never[]) => (await loaded())[name]!(...args);
  }
  return activities as T;
}

/** `make()` once, shared by every caller; forgotten when it fails so a retry can succeed. */
export function once<V>(make: () => Promise<V>): () => Promise<V> {
  let value: Promise<V> | undefined;
  return () => {
    if (!value) {
      const made = make();
      made.catch(() => {
        if (value === made) value = undefined;
      });
      value = made;
    }
    return value;
  };
}
