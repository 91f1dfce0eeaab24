import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EPHI_ROLES } from '../../../../graph-schema/src/schema.js';
import { ValidationError } from '../errors.js';

/**
 * Classification rules are data (rules/*.v1.json). This module reads and validates them once;
 * the engine never branches on a rule id, so a new fingerprint is a new JSON entry.
 */
const regex = z.string().min(1).refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

export const SignalSchema = z
  .object({
    ports: z.array(z.number().int().min(1).max(65535)).optional(),
    name: regex.optional(),
    product: regex.optional(),
    script: z.string().min(1).optional(),
    scriptPattern: regex.optional(),
    httpPath: z.string().startsWith('/').optional(),
    httpPattern: regex.optional(),
    inboundEphiFlow: z.literal(true).optional(),
    confidence: z.number().min(0).max(1),
    evidence: z.string().min(1),
    value: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((s) => s.ports || s.name || s.product || s.script || s.httpPath || s.inboundEphiFlow, 'a signal needs at least one condition')
  .refine((s) => !s.httpPath || s.ports, 'an httpPath signal must name the ports it may probe');

export const RuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9.-]+$/),
    type: z.enum(['ai-system', 'ephi-role']),
    title: z.string().min(1),
    value: z.record(z.string(), z.string()),
    signals: z.array(SignalSchema).min(1),
  })
  .strict()
  .refine((r) => r.type !== 'ephi-role' || (EPHI_ROLES as readonly string[]).includes(r.value.ephiRole ?? ''), 'an ephi-role rule needs value.ephiRole from the controlled list');

export const AiDomainSchema = z.object({ domain: z.string().min(3), pattern: regex.optional(), provider: z.string().min(1) }).strict();

export const RuleSetSchema = z
  .object({
    ruleset: z.string().min(1),
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    description: z.string().optional(),
    rules: z.array(RuleSchema),
    aiServiceDomains: z.array(AiDomainSchema).optional(),
  })
  .strict();

export type Signal = z.infer<typeof SignalSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type AiDomain = z.infer<typeof AiDomainSchema>;
export type RuleSet = z.infer<typeof RuleSetSchema>;

export interface LoadedRules {
  rules: (Rule & { ruleVersion: string })[];
  aiDomains: AiDomain[];
  versions: Record<string, string>;
}

export const DEFAULT_RULE_FILES = [
  new URL('../../../../rules/ai-detection.v1.json', import.meta.url),
  new URL('../../../../rules/ephi-detection.v1.json', import.meta.url),
];

export function parseRuleSet(raw: unknown, source = 'rules'): RuleSet {
  const parsed = RuleSetSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError('INVALID_RULES', `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { source });
  }
  const ids = new Set<string>();
  for (const r of parsed.data.rules) {
    if (ids.has(r.id)) throw new ValidationError('INVALID_RULES', `${source}: duplicate rule id ${r.id}`, { source });
    ids.add(r.id);
  }
  return parsed.data;
}

export function combineRuleSets(sets: RuleSet[]): LoadedRules {
  const out: LoadedRules = { rules: [], aiDomains: [], versions: {} };
  for (const s of sets) {
    out.versions[s.ruleset] = s.version;
    for (const r of s.rules) out.rules.push({ ...r, ruleVersion: `${s.ruleset}@${s.version}` });
    out.aiDomains.push(...(s.aiServiceDomains ?? []));
  }
  return out;
}

let cached: LoadedRules | undefined;

/** The shipped rules, read once per process. */
export function loadRules(files: URL[] = DEFAULT_RULE_FILES): LoadedRules {
  if (files === DEFAULT_RULE_FILES && cached) return cached;
  const loaded = combineRuleSets(files.map((f) => parseRuleSet(JSON.parse(readFileSync(f, 'utf8')) as unknown, f.pathname.split('/').pop())));
  if (files === DEFAULT_RULE_FILES) cached = loaded;
  return loaded;
}
