import { Context } from '@temporalio/activity';
import { lazyActivities } from '../../src/activities/lazyActivities.js';
import { activityContext } from '../support/activityContext.js';

function group() {
  return {
    add: async (a: number, b: number) => a + b,
    heartbeatTwice: async () => {
      Context.current().heartbeat('one');
      Context.current().heartbeat('two');
      return Context.current().info.attempt;
    },
  };
}

test('the names are registered at once and the module loads on the first call only', async () => {
  let loads = 0;
  const activities = lazyActivities<ReturnType<typeof group>>({ add: true, heartbeatTwice: true }, async () => {
    loads += 1;
    return group();
  });
  expect(Object.keys(activities).sort()).toEqual(['add', 'heartbeatTwice']);
  expect(loads).toBe(0);
  expect(await Promise.all([activities.add(1, 2), activities.add(3, 4)])).toEqual([3, 7]);
  expect(loads).toBe(1);
});

test('a loaded activity runs in the calling activity context (heartbeats, info)', async () => {
  const activities = lazyActivities<ReturnType<typeof group>>({ add: true, heartbeatTwice: true }, async () => group());
  const context = activityContext();
  expect(await context.run(activities.heartbeatTwice)).toBe(1);
  expect(context.heartbeats).toEqual(['one', 'two']);
});

test('a failed load fails the call and is retried by the next one', async () => {
  let loads = 0;
  const activities = lazyActivities<ReturnType<typeof group>>({ add: true, heartbeatTwice: true }, async () => {
    loads += 1;
    if (loads === 1) throw new Error('Cannot find module @aws-sdk/client-lambda');
    return group();
  });
  await expect(activities.add(1, 1)).rejects.toThrow('Cannot find module @aws-sdk/client-lambda');
  expect(await activities.add(1, 1)).toBe(2);
  expect(loads).toBe(2);
});
