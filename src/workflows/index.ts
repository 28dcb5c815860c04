// The worker's workflow bundle: every procedure workflow, one per file, and the incident
// workflows that run them.
export { lambdaAliasRollback } from './lambdaAliasRollback.js';
export { incidentRollback } from './incidentRollback.js';
export { postRollbackFollowUps } from './postRollbackFollowUps.js';
