// The worker's workflow bundle: every procedure workflow, one per file.
export { lambdaAliasRollback } from './lambdaAliasRollback.js';
export { rdsPointInTimeRestore } from './rdsPointInTimeRestore.js';
export { rdsSnapshotRestore } from './rdsSnapshotRestore.js';
export { route53RecordRollback } from './route53RecordRollback.js';
