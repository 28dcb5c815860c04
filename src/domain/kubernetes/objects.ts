// The parts of Kubernetes objects the rollback procedures read, as the API serves them (JSON).

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  [key: string]: unknown;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: {
    name: string;
    configMap?: { name?: string };
    secret?: { secretName?: string };
    projected?: { sources?: { configMap?: { name?: string }; secret?: { name?: string } }[] };
    [key: string]: unknown;
  }[];
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
}

export interface Deployment {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    paused?: boolean;
    selector: LabelSelector;
    template: PodTemplate;
    progressDeadlineSeconds?: number;
    [key: string]: unknown;
  };
  status?: DeploymentStatus;
}

export interface ReplicaSet {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector?: LabelSelector; template: PodTemplate };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

export interface Pod {
  metadata: ObjectMeta;
  spec?: PodSpec;
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready?: boolean; restartCount?: number }[];
  };
}

/** `matchLabels` and `matchExpressions` as the `labelSelector` query parameter. */
export function selectorToQuery(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
