// Everything that talks to the Kubernetes API, from one client built on first use (a worker
// that only rolls back Lambda aliases needs no kubeconfig).
import { KubeClient } from './client.js';
import { createDeploymentActivities } from './deployments.js';

export function createKubernetesActivities(kubeconfigPath: string | undefined) {
  let client: KubeClient | undefined;
  const kube = () => (client ??= KubeClient.load(kubeconfigPath));
  return {
    ...createDeploymentActivities(kube),
  };
}
