// The committed RBAC files (deploy/kubernetes/) applied to the local control plane for one test,
// and a kubeconfig holding only a ServiceAccount token (TokenRequest API, `kubectl create token`),
// so a worker can be given exactly the rights a team would give it and nothing else.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { kubeconfigPath, kubectl, kubectlResult, repoRoot } from './kubernetes.js';

interface RbacObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

export const SERVICE_ACCOUNT = 'rollback-orchestrator';

/** The objects of deploy/kubernetes/<file>, as committed. */
export function rbacObjects(file: string): RbacObject[] {
  const text = readFileSync(path.join(repoRoot, 'deploy', 'kubernetes', file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as RbacObject);
}

/** A rule to take out of a ClusterRole: one verb on one resource of one API group. */
export interface RemovedVerb {
  apiGroup: string;
  resource: string;
  verb: string;
}

export interface Grant {
  /** Where the ServiceAccount lives (the file's `rollback-orchestrator` namespace). */
  serviceAccountNamespace: string;
  clusterRoles: string[];
  /** Deletes the ClusterRoles (cluster-scoped: deleting the namespaces would leave them). */
  revoke(): Promise<void>;
}

/**
 * Applies the files as a team would, with the test's names: the ServiceAccount in
 * `serviceAccountNamespace`, each ClusterRole and RoleBinding named after it (so grants never
 * share one), the RoleBindings in each of `namespaces`, and `without` removed from the rules.
 */
export async function grant(options: {
  files: string[];
  serviceAccountNamespace: string;
  namespaces: string[];
  without?: RemovedVerb;
}): Promise<Grant> {
  const { serviceAccountNamespace: saNamespace } = options;
  const objects: object[] = [];
  const clusterRoles: string[] = [];
  let removed = false;
  for (const file of options.files) {
    const docs = rbacObjects(file);
    const roles = new Map<string, string>();
    for (const role of docs.filter((d) => d.kind === 'ClusterRole')) {
      const name = `${role.metadata.name}-${saNamespace}`;
      roles.set(role.metadata.name, name);
      clusterRoles.push(name);
      const rules = (role.rules ?? []).map((rule) => {
        const w = options.without;
        if (!w || !rule.apiGroups.includes(w.apiGroup) || !rule.resources.includes(w.resource)) return rule;
        removed = true;
        return { ...rule, verbs: rule.verbs.filter((v) => v !== w.verb) };
      });
      objects.push({ ...role, metadata: { name }, rules });
    }
    if (docs.some((d) => d.kind === 'ServiceAccount')) {
      objects.push({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: SERVICE_ACCOUNT, namespace: saNamespace },
      });
    }
    for (const binding of docs.filter((d) => d.kind === 'RoleBinding')) {
      for (const namespace of options.namespaces) {
        objects.push({
          ...binding,
          metadata: { name: `${binding.metadata.name}-${saNamespace}`, namespace },
          roleRef: { ...binding.roleRef!, name: roles.get(binding.roleRef!.name)! },
          subjects: binding.subjects!.map((s) => ({ ...s, namespace: saNamespace })),
        });
      }
    }
  }
  if (options.without && !removed) throw new Error(`no rule grants ${JSON.stringify(options.without)}`);
  await kubectl(['apply', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });
  return {
    serviceAccountNamespace: saNamespace,
    clusterRoles,
    async revoke() {
      await kubectl(['delete', 'clusterrole', ...clusterRoles, '--ignore-not-found']);
    },
  };
}

/**
 * A kubeconfig for the local cluster whose only credential is a token of the ServiceAccount
 * (the cluster's CA from the admin kubeconfig, no client certificate).
 */
export async function serviceAccountKubeconfig(serviceAccountNamespace: string): Promise<string> {
  const token = (
    await kubectl(['create', 'token', SERVICE_ACCOUNT, '-n', serviceAccountNamespace, '--duration=1h'])
  ).trim();
  const admin = parse(readFileSync(kubeconfigPath, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const cluster = admin.clusters[0]!;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster],
    users: [{ name: SERVICE_ACCOUNT, user: { token } }],
    contexts: [{ name: SERVICE_ACCOUNT, context: { cluster: cluster.name, user: SERVICE_ACCOUNT } }],
    'current-context': SERVICE_ACCOUNT,
  };
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sa-kubeconfig-')), 'kubeconfig');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

/** `kubectl auth can-i VERB RESOURCE [-n NS]` as the holder of `kubeconfig`. */
export async function canI(kubeconfig: string, verb: string, resource: string, namespace?: string): Promise<boolean> {
  const scope = namespace ? ['-n', namespace] : [];
  const res = await kubectlResult(['--kubeconfig', kubeconfig, 'auth', 'can-i', verb, resource, ...scope], {
    allowFailure: true,
  });
  return res.stdout.trim() === 'yes';
}
