import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildServer } from '../../../services/api/src/server.js';
import { GraphClient } from '../../../services/core/src/graph/neo4j-client.js';
import { AuthRepository } from '../../../services/core/src/graph/auth-repository.js';
import { QueueHub } from '../../../services/core/src/queue/queues.js';
import { testConfig } from '../../helpers/services.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: last value ${JSON.stringify(last)}`);
}

describe('Neo4j or Redis unavailable: 503 with the contract error body, then recovery by itself', () => {
  const neo = new URL(inject('neo4jUri'));
  const red = new URL(inject('redisUrl'));
  const neoProxy = new TcpProxy('127.0.0.1', Number(neo.port));
  const redisProxy = new TcpProxy('127.0.0.1', Number(red.port));
  let app: FastifyInstance;
  let graph: GraphClient;
  let queues: QueueHub;
  let token: string;

  beforeAll(async () => {
    await neoProxy.start();
    await redisProxy.start();
    const redisUrl = `redis://:${red.password}@127.0.0.1:${redisProxy.port}`;
    graph = new GraphClient({ uri: `bolt://127.0.0.1:${neoProxy.port}`, user: inject('neo4jUser'), password: inject('neo4jPassword') });
    await graph.waitUntilReady();
    queues = new QueueHub(redisUrl, 'outage');
    const config = testConfig({ REDIS_URL: redisUrl });
    token = (await new AuthRepository(graph).createToken('outage-test', 'viewer', 1, 'test')).token;
    app = await buildServer({ config, graph, queues, logger: false });
  });
  afterAll(async () => {
    await app.close();
    await queues.close();
    await graph.close();
    await neoProxy.cut();
    await redisProxy.cut();
  });

  const health = () => app.inject({ method: 'GET', url: '/api/v1/health' });
  const assets = () => app.inject({ method: 'GET', url: '/api/v1/assets', headers: { authorization: `Bearer ${token}` } });

  it('reports both dependencies up', async () => {
    const res = await until('healthy', health, (r) => r.statusCode === 200);
    expect(res.json()).toMatchObject({ status: 'ok', dependencies: { neo4j: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('answers 503 while Neo4j is unreachable and recovers when it returns', async () => {
    await neoProxy.cut();
    const down = await until('neo4j down', health, (r) => r.statusCode === 503);
    expect(down.json()).toMatchObject({ status: 'unavailable', dependencies: { neo4j: { status: 'down' }, redis: { status: 'up' } } });
    const t0 = Date.now();
    const refused = await assets();
    expect(refused.statusCode).toBe(503);
    expect(Date.now() - t0).toBeLessThan(3_000); // fails fast instead of waiting out the driver's 5 s acquisition timeout
    expect(refused.json().error).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', details: { dependency: 'neo4j' } });
    await neoProxy.restore();
    await until('neo4j back', health, (r) => r.statusCode === 200);
    expect((await until('assets back', assets, (r) => r.statusCode === 200)).json()).toHaveProperty('items');
  });

  it('answers 503 while Redis is unreachable and recovers when it returns', async () => {
    await redisProxy.cut();
    const down = await until('redis down', health, (r) => r.statusCode === 503);
    expect(down.json().dependencies.redis.status).toBe('down');
    const refused = await assets();
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.details.dependency).toBe('redis');
    await redisProxy.restore();
    await until('redis back', health, (r) => r.statusCode === 200, 30_000);
    expect((await until('assets back', assets, (r) => r.statusCode === 200)).statusCode).toBe(200);
  });
});
