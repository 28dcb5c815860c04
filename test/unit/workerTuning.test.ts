import { ConfigError } from '../../src/config/env.js';
import { memoryLogSeconds } from '../../src/worker/memoryLog.js';
import { workerTuningFromEnv } from '../../src/worker/workerTuning.js';
import { heapLimitSetByOperator, workflowHeapMiBFromEnv } from '../../src/worker/workflowHeapLimit.js';

describe('worker capacity from the environment', () => {
  test('fixed defaults, whatever the heap limit: 100 cached runs, 10 workflow task slots, 100 activity slots', () => {
    expect(workerTuningFromEnv({})).toEqual({
      maxCachedWorkflows: 100,
      maxConcurrentWorkflowTaskExecutions: 10,
      maxConcurrentActivityTaskExecutions: 100,
    });
  });
  test('each is set by its variable; an empty one is unset, not 0', () => {
    expect(
      workerTuningFromEnv({
        ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: '500',
        ROLLBACK_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
        ROLLBACK_WORKER_MAX_CONCURRENT_ACTIVITIES: '20',
      }),
    ).toEqual({
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentActivityTaskExecutions: 20,
    });
    expect(workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: '' }).maxCachedWorkflows).toBe(100);
  });
  test('workflow task slots never exceed the cached runs (the SDK would warn and cut them), unless the cache is off', () => {
    expect(workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: '4' }).maxConcurrentWorkflowTaskExecutions).toBe(
      4,
    );
    expect(workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: '0' })).toMatchObject({
      maxCachedWorkflows: 0,
      maxConcurrentWorkflowTaskExecutions: 10,
    });
  });
  test('a bad value is reported by its variable name', () => {
    expect(() => workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(ConfigError);
    expect(() => workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(
      /ROLLBACK_WORKER_MAX_CACHED_WORKFLOWS/,
    );
    expect(() => workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrow(
      /ROLLBACK_WORKER_MAX_CONCURRENT_ACTIVITIES/,
    );
    expect(() => workerTuningFromEnv({ ROLLBACK_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1.5' })).toThrow(
      /ROLLBACK_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/,
    );
    expect(() => memoryLogSeconds({ ROLLBACK_WORKER_MEMORY_LOG_SECONDS: 'often' })).toThrow(
      /ROLLBACK_WORKER_MEMORY_LOG_SECONDS/,
    );
  });
  test('the memory log is off unless ROLLBACK_WORKER_MEMORY_LOG_SECONDS is set', () => {
    expect(memoryLogSeconds({})).toBe(0);
    expect(memoryLogSeconds({ ROLLBACK_WORKER_MEMORY_LOG_SECONDS: '5' })).toBe(5);
  });
});

describe("the workflow thread's heap limit", () => {
  test('256 MiB unless ROLLBACK_WORKER_WORKFLOW_HEAP_MB says otherwise (0: the process limit); a bad value is named', () => {
    expect(workflowHeapMiBFromEnv({})).toBe(256);
    expect(workflowHeapMiBFromEnv({ ROLLBACK_WORKER_WORKFLOW_HEAP_MB: '' })).toBe(256);
    expect(workflowHeapMiBFromEnv({ ROLLBACK_WORKER_WORKFLOW_HEAP_MB: '0' })).toBe(0);
    expect(workflowHeapMiBFromEnv({ ROLLBACK_WORKER_WORKFLOW_HEAP_MB: '512' })).toBe(512);
    expect(() => workflowHeapMiBFromEnv({ ROLLBACK_WORKER_WORKFLOW_HEAP_MB: '-1' })).toThrow(
      /ROLLBACK_WORKER_WORKFLOW_HEAP_MB/,
    );
  });
  test("an operator's --max-old-space-size (command line or NODE_OPTIONS) wins", () => {
    expect(heapLimitSetByOperator([], '')).toBe(false);
    expect(heapLimitSetByOperator([], '--enable-source-maps')).toBe(false);
    expect(heapLimitSetByOperator(['--max-old-space-size=384'], '')).toBe(true);
    expect(heapLimitSetByOperator([], '--no-warnings --max_old_space_size=1024')).toBe(true);
  });
});
