import fp from 'fastify-plugin';
import client from 'prom-client';
import { AtlasError } from '../../../../core/src/errors.js';
import { hasRole } from '../../../../core/src/auth/roles.js';
import { MapRepository } from '../../../../core/src/graph/map-repository.js';

/**
 * Prometheus metrics at GET /metrics (outside /api/v1): request latency per route, queue depths,
 * and ingest totals from the recorded scan and import runs. Open to scrapers on loopback; from
 * any other address it needs an admin token, because route names and counts describe the network.
 * One registry per app instance, so several apps in one process (tests) do not collide.
 */
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export default fp(
  async (app) => {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry, prefix: 'atlas_process_' });

    const latency = new client.Histogram({
      name: 'atlas_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });

    const queues = app.queues;
    new client.Gauge({
      name: 'atlas_queue_jobs',
      help: 'Jobs per queue and state (BullMQ)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        try {
          const counts = await queues.counts();
          for (const [queue, states] of Object.entries(counts)) for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
        } catch {
          /* Redis down: the gauge is empty, and atlas_dependency_up says why */
        }
      },
    });

    new client.Gauge({
      name: 'atlas_dependency_up',
      help: '1 when the dependency answered the last health probe',
      labelNames: ['dependency'] as const,
      registers: [registry],
      collect() {
        const s = app.dependencyStatus();
        this.set({ dependency: 'neo4j' }, s.neo4j.ok ? 1 : 0);
        this.set({ dependency: 'redis' }, s.redis.ok ? 1 : 0);
      },
    });

    const map = new MapRepository(app.graph);
    let totals: Awaited<ReturnType<MapRepository['ingestTotals']>> | null = null;
    const graphGauge = (name: string, help: string, pick: (t: NonNullable<typeof totals>) => number) =>
      new client.Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          if (totals) this.set(pick(totals));
        },
      });
    graphGauge('atlas_assets', 'Assets in the inventory', (t) => t.assets);
    graphGauge('atlas_ephi_flows', 'Asserted ePHI flows', (t) => t.flows);
    graphGauge('atlas_connections', 'Observed connections', (t) => t.connections);
    const runGauge = (name: string, help: string, field: 'n' | 'hosts' | 'created' | 'updated') =>
      new client.Gauge({
        name,
        help,
        labelNames: ['kind', 'status'] as const,
        registers: [registry],
        collect() {
          this.reset();
          for (const r of totals?.runs ?? []) this.set({ kind: r.kind, status: r.status }, r[field]);
        },
      });
    runGauge('atlas_ingest_runs_total', 'Scan and import runs recorded, by kind and outcome', 'n');
    runGauge('atlas_ingest_hosts_total', 'Hosts ingested by recorded runs', 'hosts');
    runGauge('atlas_ingest_assets_created_total', 'Assets created by recorded runs', 'created');
    runGauge('atlas_ingest_assets_updated_total', 'Assets updated by recorded runs', 'updated');

    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      latency.observe({ method: req.method, route: req.is404 ? 'unmatched' : route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });

    app.get('/metrics', { schema: { hide: true }, config: { role: 'public' } }, async (req, reply) => {
      if (!LOOPBACK.test(req.socket.remoteAddress ?? '')) {
        const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
        const principal = m ? await app.repos.auth.authenticateToken(m[1]!) : null;
        if (!principal) throw new AtlasError('UNAUTHENTICATED', '/metrics from outside loopback needs an admin API token', { status: 401 });
        if (!hasRole(principal.role, 'admin')) throw new AtlasError('FORBIDDEN', '/metrics from outside loopback needs the admin role', { status: 403 });
      }
      try {
        totals = await map.ingestTotals();
      } catch {
        totals = null; // Neo4j down: graph gauges keep no value rather than failing the scrape
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'metrics', dependencies: ['services'] },
);
