// What RBAC sees in an API request: the verb and the resource, derived from the HTTP method and
// the path as the API server's request-info resolver does. A Forbidden failure names them the way
// a Role grants them, so the missing rule can be read off the message.

export interface ApiRequest {
  /** RBAC verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** Resource as kubectl names it: `deployments.apps`, `pods`, `pods/log` (a subresource). */
  resource: string;
  /** The API group ("" for the core group). */
  group: string;
  name?: string;
  namespace?: string;
}

/** undefined for paths that are not resource requests (/version, /healthz, /openapi). */
export function describeApiRequest(method: string, url: string): ApiRequest | undefined {
  const [pathname = '', query = ''] = url.split('?');
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  // /namespaces/NAME alone is the Namespace object itself, not a namespaced collection.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  const watch = new URLSearchParams(query).get('watch');
  const verb = verbOf(method.toUpperCase(), name !== undefined, watch === 'true' || watch === '1');
  const kind = subresource ? `${resource}/${subresource}` : resource;
  return { verb, resource: group ? `${kind}.${group}` : kind, group, name, namespace };
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** `patch deployments.apps "web" in namespace "demo"`, as a Role would have to grant it. */
export function formatApiRequest(request: ApiRequest): string {
  return [
    request.verb,
    request.resource,
    ...(request.name !== undefined ? [`"${request.name}"`] : []),
    ...(request.namespace !== undefined ? [`in namespace "${request.namespace}"`] : []),
  ].join(' ');
}
