import { createHash } from 'node:crypto';
import type { AiDomain, LoadedRules, Rule, Signal } from './rules.js';

/**
 * The rule engine: pure functions from facts about an asset (its services, script output,
 * bounded HTTP probe results, inbound ePHI flows) to suggestion drafts. No I/O here: the
 * repository gathers the facts, the worker does the probing, this decides.
 */
export interface ScriptFact {
  id: string;
  output: string;
}
export interface HttpFact {
  port: number;
  path: string;
  url: string;
  status: number;
  body: string;
}
export interface ServiceFact {
  protocol: string;
  port: number;
  state?: string | null;
  name?: string | null;
  product?: string | null;
  version?: string | null;
  extrainfo?: string | null;
  scripts: ScriptFact[];
}
export interface InboundFlowFact {
  fromName: string;
  protocol?: string | null;
  port?: number | null;
  dataCategories?: string[];
}
export interface AssetFacts {
  assetId: string;
  services: ServiceFact[];
  http?: HttpFact[];
  inboundFlows?: InboundFlowFact[];
}

export type SuggestionType = 'ai-system' | 'ephi-role';

export interface SuggestionDraft {
  id: string;
  assetId: string;
  type: SuggestionType;
  ruleId: string;
  ruleVersion: string;
  title: string;
  value: Record<string, string>;
  confidence: number;
  evidence: string[];
}

/** A rule matched at this confidence or more is settled: no HTTP probe is spent on it. */
export const SETTLED = 0.8;

export interface ProbeRequest {
  port: number;
  path: string;
}

/** Stable id: the same asset, type and rule always give the same suggestion. */
export function suggestionId(assetId: string, type: string, ruleId: string): string {
  return `sug-${createHash('sha256').update(`${type}|${assetId}|${ruleId}`).digest('hex').slice(0, 24)}`;
}

export function excerpt(s: string, max = 160): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function test(pattern: string | undefined, text: string | null | undefined): boolean {
  if (pattern === undefined) return true;
  return text != null && new RegExp(pattern, 'i').test(text);
}

function fill(template: string, vars: Record<string, string | number | null | undefined>): string {
  return template
    .replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = vars[k];
      return v === null || v === undefined || v === '' ? '' : String(v);
    })
    .replace(/\(\s*\)/g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s+([,;)])/g, '$1')
    .trim();
}

function isOpen(s: ServiceFact): boolean {
  return !s.state || s.state === 'open';
}

interface Hit {
  confidence: number;
  evidence: string;
  value: Record<string, string>;
}

function serviceHits(rule: Rule, signal: Signal, facts: AssetFacts): Hit[] {
  const hits: Hit[] = [];
  if (signal.inboundEphiFlow) {
    for (const f of facts.inboundFlows ?? []) {
      const detail = [f.protocol, f.port, ...(f.dataCategories ?? [])].filter((x) => x !== null && x !== undefined && x !== '').join(' ');
      hits.push({ confidence: signal.confidence, value: { ...rule.value, ...signal.value }, evidence: fill(signal.evidence, { flowFrom: f.fromName, flowDetail: detail || 'no details' }) });
    }
    return hits;
  }
  for (const s of facts.services) {
    if (!isOpen(s)) continue;
    if (signal.ports && !signal.ports.includes(s.port)) continue;
    if (!test(signal.name, s.name)) continue;
    const banner = [s.product, s.version, s.extrainfo].filter(Boolean).join(' ');
    if (signal.product !== undefined && !test(signal.product, banner)) continue;
    let script: ScriptFact | undefined;
    if (signal.script) {
      script = s.scripts.find((x) => x.id === signal.script && test(signal.scriptPattern, x.output));
      if (!script) continue;
    }
    let http: HttpFact | undefined;
    if (signal.httpPath) {
      http = (facts.http ?? []).find((h) => h.port === s.port && h.path === signal.httpPath && h.status >= 200 && h.status < 300 && test(signal.httpPattern, h.body));
      if (!http) continue;
    }
    hits.push({
      confidence: signal.confidence,
      value: { ...rule.value, ...signal.value },
      evidence: fill(signal.evidence, {
        port: s.port,
        protocol: s.protocol,
        name: s.name,
        product: s.product ?? s.name ?? 'unknown service',
        version: s.version,
        scriptExcerpt: script ? excerpt(script.output) : undefined,
        url: http?.url,
        httpExcerpt: http ? excerpt(http.body, 120) : undefined,
      }),
    });
  }
  return hits;
}

/** Every rule that matches the asset gives one draft; confidence is the strongest signal's. */
export function evaluateAsset(facts: AssetFacts, rules: LoadedRules): SuggestionDraft[] {
  const out: SuggestionDraft[] = [];
  for (const rule of rules.rules) {
    const hits = rule.signals.flatMap((sig) => serviceHits(rule, sig, facts));
    if (hits.length === 0) continue;
    hits.sort((a, b) => b.confidence - a.confidence || a.evidence.localeCompare(b.evidence));
    const best = hits[0]!;
    out.push({
      id: suggestionId(facts.assetId, rule.type, rule.id),
      assetId: facts.assetId,
      type: rule.type,
      ruleId: rule.id,
      ruleVersion: rule.ruleVersion,
      title: rule.title,
      value: best.value,
      confidence: best.confidence,
      evidence: [...new Set(hits.map((h) => h.evidence))], // strongest first
    });
  }
  return out;
}

/**
 * The HTTP requests that could settle an ambiguous port: only for open TCP services on a port a
 * rule names for that path, and only where no stronger signal of the same rule already matched.
 */
export function probesFor(facts: AssetFacts, rules: LoadedRules): ProbeRequest[] {
  const matched = new Map(evaluateAsset({ ...facts, http: [] }, rules).map((d) => [d.ruleId, d.confidence]));
  const out = new Map<string, ProbeRequest>();
  for (const rule of rules.rules) {
    for (const sig of rule.signals) {
      if (!sig.httpPath || !sig.ports) continue;
      if ((matched.get(rule.id) ?? 0) >= Math.min(sig.confidence, SETTLED)) continue;
      for (const s of facts.services) {
        if (s.protocol !== 'tcp' || !isOpen(s) || !sig.ports.includes(s.port)) continue;
        out.set(`${s.port}${sig.httpPath}`, { port: s.port, path: sig.httpPath });
      }
    }
  }
  return [...out.values()];
}

/** The AI service a host name belongs to, if any (exact domain, a subdomain of it, or the pattern). */
export function matchAiDomain(host: string | null | undefined, domains: AiDomain[]): AiDomain | undefined {
  if (!host) return undefined;
  const h = host.toLowerCase().replace(/\.$/, '');
  return domains.find((d) => h === d.domain || h.endsWith(`.${d.domain}`) || (d.pattern !== undefined && new RegExp(d.pattern, 'i').test(h)));
}

/**
 * nmap script results as stored on a Service node: a JSON string of [{id, output}] or of
 * {id: output}, or a list of such JSON strings. Anything else gives no scripts.
 */
export function scriptsFromProperty(raw: unknown): ScriptFact[] {
  const fromValue = (v: unknown): ScriptFact[] => {
    if (typeof v === 'string') {
      try {
        return fromValue(JSON.parse(v) as unknown);
      } catch {
        return [];
      }
    }
    if (Array.isArray(v)) return v.flatMap((x) => (x && typeof x === 'object' && 'id' in x ? [{ id: String((x as ScriptFact).id), output: String((x as ScriptFact).output ?? '') }] : fromValue(x)));
    if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([id, output]) => ({ id, output: typeof output === 'string' ? output : JSON.stringify(output) }));
    return [];
  };
  return fromValue(raw);
}
