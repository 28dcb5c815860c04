// The service catalog (DESIGN.md 5a): one YAML file that says, per service, how alerts find it,
// what rolls it back and who is told. The trigger and the worker read the same file; it is
// validated at start and every error names the file, the line and the field.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { z } from 'zod';
import { PROCEDURE_TYPES } from '../domain/procedures/registry.js';

// yaml (74 modules) loads when a catalog is read, not when the worker starts without one (issue 13, goal 5).
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** The channel every incident can name without defining it: the worker's log. */
export const BUILT_IN_CHANNELS = ['log'] as const;

const name = z.string().trim().min(1, 'must not be empty');
const severity = z.enum(['P0', 'P1', 'P2', 'P3']);
/** Passed through to the incident input as given; the incident's own schema checks the fields. */
const passThrough = z.record(z.unknown());

const channelDefinition = z
  .object({
    type: z.enum(['slack', 'webhook']),
    // The URL is a credential: the catalog names the variable that holds it, never the URL.
    urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable (e.g. SLACK_WEBHOOK_URL)'),
  })
  .strict();

const procedure = z
  .object({
    type: z.enum(PROCEDURE_TYPES),
    input: z.record(z.unknown()).default({}),
  })
  .strict();

const match = z
  .object({
    /** Label equality: every label given must be on the alert with this value. */
    alertmanager: z.record(z.string()).optional(),
    pagerduty: z
      .object({ serviceId: name.optional(), serviceName: name.optional(), environment: name.optional() })
      .strict()
      .refine((m) => m.serviceId !== undefined || m.serviceName !== undefined, 'give serviceId or serviceName')
      .optional(),
    cloudwatch: z.object({ alarmNamePrefix: name, environment: name.optional() }).strict().optional(),
  })
  .strict();

const service = z
  .object({
    name,
    /** The first is the default when an alert names none. */
    environments: z.array(name).min(1, 'must list at least one environment'),
    match: match.default({}),
    procedures: z.array(procedure).default([]),
    approvers: z.array(name).min(1).optional(),
    channels: z.array(name).default([]),
    escalation: z.array(name).default([]),
    /** The severity of an alert that carries none the trigger understands (docs/trigger.md). */
    defaultSeverity: severity.default('P1'),
    monitoring: passThrough.optional(),
    /** The incident's `verification` (e.g. `checks:` of the verification suite), as given. */
    verification: passThrough.optional(),
    thresholds: passThrough.optional(),
    confirmation: passThrough.optional(),
    incidentCommander: name.optional(),
  })
  .strict();

export const catalogSchema = z
  .object({
    channels: z.record(channelDefinition).default({}),
    services: z.array(service).min(1, 'must list at least one service'),
  })
  .strict()
  .superRefine((catalog, ctx) => {
    const seen = new Map<string, number>();
    catalog.services.forEach((s, i) => {
      const first = seen.get(s.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'name'],
          message: `"${s.name}" is also services[${first}]`,
        });
      }
      seen.set(s.name, i);
      for (const list of ['channels', 'escalation'] as const) {
        s[list].forEach((channel, j) => {
          if (!(channel in catalog.channels) && !(BUILT_IN_CHANNELS as readonly string[]).includes(channel)) {
            const known = [...Object.keys(catalog.channels), ...BUILT_IN_CHANNELS].join(', ');
            ctx.addIssue({
              code: 'custom',
              path: ['services', i, list, j],
              message: `channel "${channel}" is not defined in channels: (known: ${known})`,
            });
          }
        });
      }
    });
  });

export type Catalog = z.infer<typeof catalogSchema>;
export type CatalogService = Catalog['services'][number];
export type ChannelDefinition = z.infer<typeof channelDefinition>;

export class CatalogError extends Error {}

/** `services[0].match.alertmanager`, as people write the path. */
function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(catalog)';
}

/** The line of the deepest node on `path` that exists in the document (a missing key: its parent). */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (yaml().isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

/** Parses and validates catalog text; `file` is only for messages. */
export function parseCatalog(text: string, file = 'catalog.yaml'): Catalog {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const messages = doc.errors.map((e) => {
      const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
      return `${file}:${line}: ${e.message.split('\n')[0]}`;
    });
    throw new CatalogError(messages.join('\n'));
  }
  const parsed = catalogSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const messages = parsed.error.issues.map(
      (issue) => `${file}:${lineOf(doc, lines, issue.path)}: ${formatPath(issue.path)}: ${issue.message}`,
    );
    throw new CatalogError(messages.join('\n'));
  }
  return parsed.data;
}

/** Reads `ROLLBACK_CATALOG` (default `catalog.yaml`), or `file` when given. */
export function loadCatalog(file = process.env.ROLLBACK_CATALOG || 'catalog.yaml'): Catalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new CatalogError(`${file}: cannot read the service catalog (${reason}); set ROLLBACK_CATALOG`);
  }
  return parseCatalog(text, file);
}

/** The catalog's notification channels by name, for the worker to resolve `{ channel: name }`. */
export function catalogChannels(catalog: Catalog): Record<string, ChannelDefinition> {
  return { ...catalog.channels };
}

export function findService(catalog: Catalog, serviceName: string): CatalogService | undefined {
  return catalog.services.find((s) => s.name === serviceName);
}
