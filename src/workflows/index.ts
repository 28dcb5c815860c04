// The worker's workflow bundle: every procedure workflow, one per file, and the incident
// workflows that run them.
export { lambdaAliasRollback } from './lambdaAliasRollback.js';
export { kubernetesDeploymentRollback } from './kubernetesDeploymentRollback.js';
export { helmReleaseRollback } from './helmReleaseRollback.js';
export { blueGreenRollback } from './blueGreenRollback.js';
export { canaryRollback } from './canaryRollback.js';
export { configMapRollback } from './configMapRollback.js';
export { secretRollback } from './secretRollback.js';
export { rdsPointInTimeRestore } from './rdsPointInTimeRestore.js';
export { rdsSnapshotRestore } from './rdsSnapshotRestore.js';
export { route53RecordRollback } from './route53RecordRollback.js';
export { terraformRevert } from './terraformRevert.js';
export { terraformStateRestore } from './terraformStateRestore.js';
export { databaseMigrationRollback } from './databaseMigrationRollback.js';
export { incidentRollback } from './incidentRollback.js';
export { postRollbackFollowUps } from './postRollbackFollowUps.js';
export { verifyRollback } from './verifyRollback.js';
