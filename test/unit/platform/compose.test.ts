import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs here, so the deployment file is checked by reading it.
const compose = parse(readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, Record<string, unknown>>;
  volumes: Record<string, unknown>;
};
const svc = compose.services;

describe('docker-compose.yml', () => {
  it('runs Neo4j 5 with auth and a named volume', () => {
    expect(String(svc.neo4j!.image)).toMatch(/^neo4j:5\./);
    expect((svc.neo4j!.environment as Record<string, string>).NEO4J_AUTH).toMatch(/^neo4j\/\$\{NEO4J_PASSWORD/);
    expect(svc.neo4j!.volumes).toContain('neo4j-data:/data');
    expect(Object.keys(compose.volumes)).toContain('neo4j-data');
  });

  it('runs Redis 7 with AOF persistence and noeviction', () => {
    expect(String(svc.redis!.image)).toMatch(/^redis:7/);
    const cmd = (svc.redis!.command as string[]).join(' ');
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
    expect(cmd).toMatch(/--requirepass/);
  });

  it('binds every published port to 127.0.0.1', () => {
    const ports = Object.values(svc).flatMap((s) => (s.ports as string[] | undefined) ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:/);
  });

  it('has a healthcheck on every service', () => {
    for (const [name, s] of Object.entries(svc)) expect(s.healthcheck, name).toBeDefined();
  });

  it('runs the discovery worker as non-root with only NET_RAW and NET_ADMIN', () => {
    const d = svc.discovery!;
    expect(String(d.user)).not.toMatch(/^(0|root)(:|$)/);
    expect(d.cap_drop).toEqual(['ALL']);
    expect([...(d.cap_add as string[])].sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
  });

  it('runs the API as non-root with no added capabilities, after its dependencies are healthy', () => {
    const a = svc.api!;
    expect(String(a.user)).not.toMatch(/^(0|root)(:|$)/);
    expect(a.cap_add).toBeUndefined();
    expect(a.depends_on).toMatchObject({ neo4j: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });
});
