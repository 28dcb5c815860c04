// The worker's workflow bundle: every procedure workflow, one per file.
export { lambdaAliasRollback } from './lambdaAliasRollback.js';
export { kubernetesDeploymentRollback } from './kubernetesDeploymentRollback.js';
