// The procedure workflows by type, held to the registry (src/domain/procedures/registry.ts): every
// registered procedure has exactly one workflow here, and each returns the contract's result, so
// the incident runs any procedure and reads its result through the contract alone.
import type { ProcedureResult } from '../domain/procedures/contract.js';
import type { ProcedureType } from '../domain/procedures/registry.js';
import { blueGreenRollback } from './blueGreenRollback.js';
import { canaryRollback } from './canaryRollback.js';
import { configMapRollback } from './configMapRollback.js';
import { databaseMigrationRollback } from './databaseMigrationRollback.js';
import { helmReleaseRollback } from './helmReleaseRollback.js';
import { kubernetesDeploymentRollback } from './kubernetesDeploymentRollback.js';
import { lambdaAliasRollback } from './lambdaAliasRollback.js';
import { rdsPointInTimeRestore } from './rdsPointInTimeRestore.js';
import { rdsSnapshotRestore } from './rdsSnapshotRestore.js';
import { route53RecordRollback } from './route53RecordRollback.js';
import { secretRollback } from './secretRollback.js';
import { terraformRevert } from './terraformRevert.js';
import { terraformStateRestore } from './terraformStateRestore.js';

export const PROCEDURE_WORKFLOWS = {
  lambdaAliasRollback,
  kubernetesDeploymentRollback,
  helmReleaseRollback,
  blueGreenRollback,
  canaryRollback,
  configMapRollback,
  secretRollback,
  rdsSnapshotRestore,
  rdsPointInTimeRestore,
  route53RecordRollback,
  terraformRevert,
  terraformStateRestore,
  databaseMigrationRollback,
} satisfies Record<ProcedureType, (input: unknown) => Promise<ProcedureResult>>;
