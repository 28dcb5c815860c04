// The incident search attributes of DESIGN.md section 5, registered by the start script and the
// test harness, so the Web UI can list incidents by service, severity, phase and SLA.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RollbackService = defineSearchAttributeKey('RollbackService', SearchAttributeType.KEYWORD);
export const RollbackEnvironment = defineSearchAttributeKey('RollbackEnvironment', SearchAttributeType.KEYWORD);
export const RollbackSeverity = defineSearchAttributeKey('RollbackSeverity', SearchAttributeType.KEYWORD);
export const RollbackPhase = defineSearchAttributeKey('RollbackPhase', SearchAttributeType.KEYWORD);
export const SlaBreached = defineSearchAttributeKey('SlaBreached', SearchAttributeType.BOOL);

export const ROLLBACK_SEARCH_ATTRIBUTES = [
  RollbackService,
  RollbackEnvironment,
  RollbackSeverity,
  RollbackPhase,
  SlaBreached,
];

/** The `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return ROLLBACK_SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${key.type === SearchAttributeType.BOOL ? 'Bool' : 'Keyword'}`,
  ]);
}
