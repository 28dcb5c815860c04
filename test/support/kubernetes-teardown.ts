// Optional jest globalTeardown: stops the local Kubernetes cluster when this test run
// started it (scripts/k8s/up.sh records who started it), and leaves alone a cluster that a
// developer started by hand with `npm run k8s:up`.
import { stopClusterIfStartedByTests } from './kubernetes.js';

export default async function globalTeardown(): Promise<void> {
  await stopClusterIfStartedByTests();
}
