import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../services/core/src/config.js';

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c.ATLAS_HOST).toBe('127.0.0.1');
    expect(c.ATLAS_PORT).toBe(8080);
    expect(c.ATLAS_DEMO).toBe(true);
    expect(c.ATLAS_SCAN_SCOPE).toBe('127.0.0.0/8');
  });

  it('names every bad key at once', () => {
    let err: unknown;
    try {
      loadConfig({ ATLAS_PORT: 'eighty', NEO4J_HEAP: 'lots', ATLAS_DEMO: 'maybe', REDIS_URL: 'http://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const key of ['ATLAS_PORT', 'NEO4J_HEAP', 'ATLAS_DEMO', 'REDIS_URL']) expect(msg).toContain(key);
  });

  it('requires a password with an external Neo4j and both halves of a TLS pair', () => {
    expect(() => loadConfig({ NEO4J_URI: 'bolt://db:7687' })).toThrow(/NEO4J_PASSWORD/);
    expect(() => loadConfig({ ATLAS_TLS_CERT: '/tmp/c.pem' })).toThrow(/ATLAS_TLS_KEY/);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ ATLAS_PORT: '' }).ATLAS_PORT).toBe(8080);
  });
});
