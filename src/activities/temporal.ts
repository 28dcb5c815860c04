// Questions the workflows ask about Temporal itself, through the worker's own client.
import { Context, log } from '@temporalio/activity';
import type { PostRollbackFollowUpsInput } from '../domain/schemas/postRollbackFollowUps.js';

export function createTemporalActivities() {
  /**
   * Which of `names` are registered as search attributes in this namespace. Upserting an
   * unregistered one fails every workflow task, so the incident asks first and skips them.
   * A server without the operator API (the time-skipping test server) has none.
   */
  async function missingSearchAttributes(names: string[]): Promise<string[]> {
    const { client, info } = Context.current();
    try {
      const res = await client.connection.operatorService.listSearchAttributes({ namespace: info.workflowNamespace });
      const known = new Set([...Object.keys(res.customAttributes ?? {}), ...Object.keys(res.systemAttributes ?? {})]);
      return names.filter((n) => !known.has(n));
    } catch (error) {
      const code = (error as { code?: number }).code;
      // gRPC UNIMPLEMENTED (12): this server cannot have custom search attributes.
      if (code === 12) {
        log.warn('this Temporal server has no operator API: incident search attributes are not kept');
        return names;
      }
      throw error;
    }
  }

  /**
   * Starts the post-rollback follow-ups as a workflow of their own (not a child: they outlive
   * the incident by a week). Idempotent: a retry finds the one already started.
   */
  async function startFollowUpsWorkflow(req: {
    workflowId: string;
    input: PostRollbackFollowUpsInput;
  }): Promise<string> {
    const { client, info } = Context.current();
    await client.workflow.start('postRollbackFollowUps', {
      workflowId: req.workflowId,
      taskQueue: info.taskQueue,
      args: [req.input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return req.workflowId;
  }

  return { missingSearchAttributes, startFollowUpsWorkflow };
}
