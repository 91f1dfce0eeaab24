import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../../../../core/src/errors.js';
import { ScanRepository, type ScanDefinition } from '../../../../../../core/src/graph/scan-repository.js';
import { PROFILES, PROFILE_IDS, isProfileId } from '../../../../../../discovery/src/scan/profiles.js';
import { nextScanRun, removeScanSchedule, upsertScanSchedule, validateSchedule } from '../../../../../../discovery/src/scan/scan-scheduler.js';
import { ceilingScope, checkTargets, effectiveScope, enqueueScanRun, validateStoredScope } from '../../../../../../discovery/src/scan/scan-service.js';
import { errors, Iso } from '../../../../schemas.js';

const ScanSchema = z.object({
  id: z.string(),
  name: z.string(),
  targets: z.array(z.string()),
  profile: z.enum(PROFILE_IDS),
  schedule: z.string().nullable().describe('cron pattern, 5 or 6 fields, UTC'),
  enabled: z.boolean(),
  owner: z.string().nullable(),
  createdAt: Iso,
  updatedAt: Iso,
  lastRunAt: Iso.nullable(),
  lastJobIds: z.array(z.string()),
  nextRunAt: Iso.nullable(),
});

const Name = z.string().trim().min(1).max(120);
// Targets are checked by the scope validator, which names each bad entry; zod only bounds the list.
const Targets = z.array(z.unknown()).min(1).max(256);
// Checked in the handler (400 PROFILE_UNKNOWN naming the value); the document lists the ids it accepts.
const Profile = z.string().max(40).meta({ enum: [...PROFILE_IDS] });
const Schedule = z.string().max(120).nullable();

const CreateBody = z.object({ name: Name, targets: Targets, profile: Profile, schedule: Schedule.optional(), enabled: z.boolean().default(true) }).strict();
const PatchBody = z.object({ name: Name.optional(), targets: Targets.optional(), profile: Profile.optional(), schedule: Schedule.optional(), enabled: z.boolean().optional() }).strict();
const Params = z.object({ id: z.string().min(1).max(64) });

const ScopeSchema = z.object({
  cidrs: z.array(z.string()).describe('the authorised scope in force'),
  source: z.enum(['stored', 'config']),
  ceiling: z.array(z.string()).describe('ATLAS_SCAN_SCOPE: stored entries must lie inside it'),
  maxPrefixV4: z.number(),
  updatedAt: Iso.nullable(),
  updatedBy: z.string().nullable(),
});

function profileOf(p: string, field = 'profile') {
  if (!isProfileId(p)) throw new ValidationError('PROFILE_UNKNOWN', `${field} "${p}" is not one of ${PROFILE_IDS.join(', ')}`, { field, value: p });
  return p;
}

const route: FastifyPluginAsyncZod = async (app) => {
  const repo = new ScanRepository(app.graph);
  const view = async (d: ScanDefinition) => ({
    ...d,
    profile: profileOf(d.profile),
    nextRunAt: d.schedule && d.enabled ? await nextScanRun(app.queues, d.id).catch(() => null) : null,
  });
  const scopeView = async () => {
    const stored = await repo.getStoredScope();
    const eff = await effectiveScope(repo, app.config);
    return {
      cidrs: eff.scope.map((e) => e.cidr),
      source: eff.source,
      ceiling: ceilingScope(app.config).map((e) => e.cidr),
      maxPrefixV4: app.config.ATLAS_MAX_SCAN_PREFIX_V4,
      updatedAt: stored?.updatedAt ?? null,
      updatedBy: stored?.updatedBy ?? null,
    };
  };

  app.get('/scans/profiles', {
    config: { role: 'security' },
    schema: { tags: ['scans'], summary: 'The fixed list of scan profiles', response: { 200: z.object({ items: z.array(z.object({ id: z.string(), description: z.string(), maxSeconds: z.number() })) }), ...errors } },
  }, async () => ({ items: Object.values(PROFILES).map((p) => ({ id: p.id, description: p.description, maxSeconds: p.maxSeconds })) }));

  app.get('/scans/scope', {
    config: { role: 'admin' },
    schema: { tags: ['scans'], summary: 'The authorised scan scope (deny by default)', response: { 200: ScopeSchema, ...errors } },
  }, scopeView);

  app.put('/scans/scope', {
    config: { role: 'admin' },
    schema: {
      tags: ['scans'],
      summary: 'Set the authorised scan scope (each CIDR inside ATLAS_SCAN_SCOPE); null returns to the configured scope',
      description: 'Each entry is an address or CIDR that lies inside the configured ceiling (ATLAS_SCAN_SCOPE) and is no wider than ATLAS_MAX_SCAN_PREFIX_V4; any other entry is a 400 SCOPE_INVALID naming it (details.field = cidrs[i]).',
      body: z.object({ cidrs: z.array(z.string().max(64)).min(1).max(256).nullable() }).strict(),
      response: { 200: ScopeSchema, ...errors },
    },
  }, async (req) => {
    const cidrs = req.body.cidrs === null ? null : validateStoredScope(req.body.cidrs, app.config);
    await repo.setStoredScope(cidrs, req.principal?.name ?? null);
    return scopeView();
  });

  app.get('/scans', {
    config: { role: 'security' },
    schema: { tags: ['scans'], summary: 'Scan definitions', response: { 200: z.object({ items: z.array(ScanSchema) }), ...errors } },
  }, async () => ({ items: await Promise.all((await repo.list()).map(view)) }));

  app.post('/scans', {
    config: { role: 'security' },
    schema: {
      tags: ['scans'],
      summary: 'Create a scan definition; every target must be inside the authorised scope',
      description: 'A target that is not an address, CIDR, range or hostname, is wider than ATLAS_MAX_SCAN_PREFIX_V4, or lies (or resolves) outside the scope is a 400 naming it (details.field = targets[i]).',
      body: CreateBody,
      response: { 201: ScanSchema, ...errors },
    },
  }, async (req, reply) => {
    const b = req.body;
    const profile = profileOf(b.profile);
    const schedule = b.schedule ? validateSchedule(b.schedule) : null;
    await checkTargets(repo, app.config, b.targets);
    await app.queues.assertAvailable();
    const def = await repo.create({ name: b.name, targets: b.targets as string[], profile, schedule, enabled: b.enabled }, req.principal?.name ?? null);
    try {
      await upsertScanSchedule(app.queues, def);
    } catch (err) {
      await repo.remove(def.id).catch(() => {});
      throw err;
    }
    return reply.code(201).send(await view(def));
  });

  app.get('/scans/:id', {
    config: { role: 'security' },
    schema: { tags: ['scans'], summary: 'One scan definition', params: Params, response: { 200: ScanSchema, ...errors } },
  }, async (req) => view(await repo.get(req.params.id)));

  app.patch('/scans/:id', {
    config: { role: 'security' },
    schema: { tags: ['scans'], summary: 'Change a scan definition (targets re-checked against the scope)', description: 'Targets, profile and schedule are checked as for POST /scans: a bad one is a 400 naming it.', params: Params, body: PatchBody, response: { 200: ScanSchema, ...errors } },
  }, async (req) => {
    const b = req.body;
    const before = await repo.get(req.params.id);
    const patch = {
      name: b.name,
      targets: b.targets as string[] | undefined,
      profile: b.profile === undefined ? undefined : profileOf(b.profile),
      schedule: b.schedule === undefined ? undefined : b.schedule === null ? null : validateSchedule(b.schedule),
      enabled: b.enabled,
    };
    if (patch.targets) await checkTargets(repo, app.config, patch.targets);
    await app.queues.assertAvailable();
    const after = await repo.update(before.id, patch);
    await upsertScanSchedule(app.queues, after);
    return view(after);
  });

  app.delete('/scans/:id', {
    config: { role: 'security' },
    schema: { tags: ['scans'], summary: 'Delete a scan definition and its schedule', params: Params, response: { 204: z.null(), ...errors } },
  }, async (req, reply) => {
    await repo.get(req.params.id);
    await app.queues.assertAvailable();
    await removeScanSchedule(app.queues, req.params.id);
    await repo.remove(req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/scans/:id/run', {
    config: { role: 'security' },
    schema: {
      tags: ['scans'],
      summary: 'Run a scan now; large ranges become several chunk jobs',
      params: Params,
      response: { 202: z.object({ jobId: z.string().describe('the first chunk job'), jobIds: z.array(z.string()) }), ...errors },
    },
  }, async (req, reply) => {
    const def = await repo.get(req.params.id);
    const stamp = `now${Date.now().toString(36)}`;
    const jobIds = await enqueueScanRun(app.queues, app.graph, repo, app.config, def, stamp);
    return reply.code(202).send({ jobId: jobIds[0]!, jobIds });
  });
};
export default route;
