// Everything that talks to the Kubernetes API, from one client built on first use (a worker
// that only rolls back Lambda aliases needs no kubeconfig).
import { KubeClient } from './client.js';
import { createConfigurationActivities } from './configuration.js';
import { createDeploymentActivities } from './deployments.js';
import { createTrafficActivities } from './traffic.js';

/**
 * One client per worker, made on first use. A configuration that could not be read is not kept: the
 * next request reads it again (a kubeconfig written while the worker runs, as `npm start` does).
 */
export function lazyKubeClient(kubeconfigPath: string | undefined, env?: NodeJS.ProcessEnv): () => KubeClient {
  let client: KubeClient | undefined;
  return () => {
    if (!client) {
      const made = KubeClient.load(kubeconfigPath, env);
      made.onLoadFailure(() => {
        if (client === made) client = undefined;
      });
      client = made;
    }
    return client;
  };
}

export function createKubernetesActivities(kube: () => KubeClient) {
  return {
    ...createDeploymentActivities(kube),
    ...createTrafficActivities(kube),
    ...createConfigurationActivities(kube),
  };
}
