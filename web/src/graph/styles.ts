import type { StylesheetJson } from 'cytoscape';

/**
 * The one styles module. Everything the map encodes (ePHI role, kind, status, AI, flow risks) is
 * declared here as data; the Cytoscape stylesheet AND the legend are both generated from it, so
 * they cannot disagree. Colours are the Okabe–Ito colour-blind-safe palette, and every meaning is
 * carried twice: by colour and by shape, border style or line pattern.
 */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  sky: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#999999',
} as const;

export interface RoleStyle {
  label: string;
  fill: string;
  border: string;
  borderWidth: number;
  borderStyle: 'solid' | 'double' | 'dotted' | 'dashed';
}

export const EPHI_ROLE_STYLE: Record<string, RoleStyle> = {
  stores: { label: 'stores ePHI', fill: OKABE_ITO.vermillion, border: '#7a2f00', borderWidth: 6, borderStyle: 'double' },
  processes: { label: 'processes ePHI', fill: OKABE_ITO.orange, border: '#6b4a00', borderWidth: 4, borderStyle: 'solid' },
  transmits: { label: 'transmits ePHI', fill: OKABE_ITO.sky, border: '#1d5f85', borderWidth: 3, borderStyle: 'dotted' },
  none: { label: 'no ePHI', fill: '#cfe9df', border: OKABE_ITO.green, borderWidth: 1, borderStyle: 'solid' },
  unknown: { label: 'ePHI role unknown', fill: '#e6e6e6', border: '#777777', borderWidth: 1, borderStyle: 'solid' },
};

/** Shapes as polygons in [-1, 1] so that Cytoscape and the SVG legend draw the same outline. */
const poly = (pts: number[]): { shape: 'polygon'; points: number[] } => ({ shape: 'polygon', points: pts });
const regular = (n: number, rot = -Math.PI / 2, inner?: number): number[] => {
  const out: number[] = [];
  const steps = inner ? n * 2 : n;
  for (let i = 0; i < steps; i++) {
    const r = inner && i % 2 === 1 ? inner : 1;
    const a = rot + (i * 2 * Math.PI) / steps;
    out.push(+(r * Math.cos(a)).toFixed(3), +(r * Math.sin(a)).toFixed(3));
  }
  return out;
};

export type KindShape = { shape: 'ellipse' | 'round-rectangle' | 'rectangle' } | { shape: 'polygon'; points: number[] };

export const KIND_SHAPE: Record<string, KindShape & { label: string }> = {
  server: { label: 'server', shape: 'round-rectangle' },
  workstation: { label: 'workstation', shape: 'rectangle' },
  'network-device': { label: 'network device', ...poly([0, -1, 1, 0, 0, 1, -1, 0]) },
  'medical-device': { label: 'medical device', ...poly([-0.35, -1, 0.35, -1, 0.35, -0.35, 1, -0.35, 1, 0.35, 0.35, 0.35, 0.35, 1, -0.35, 1, -0.35, 0.35, -1, 0.35, -1, -0.35, -0.35, -0.35]) },
  iot: { label: 'IoT', ...poly([0, -1, 1, 1, -1, 1]) },
  mobile: { label: 'mobile', ...poly([-0.6, -1, 0.6, -1, 0.6, 1, -0.6, 1]) },
  'virtual-machine': { label: 'virtual machine', ...poly([-0.6, -1, 1, -1, 1, 0.6, 0.6, 1, -1, 1, -1, -0.6]) },
  container: { label: 'container', ...poly(regular(6, 0)) },
  application: { label: 'application', ...poly(regular(5)) },
  database: { label: 'database', ...poly([-1, -0.7, -0.5, -1, 0.5, -1, 1, -0.7, 1, 0.7, 0.5, 1, -0.5, 1, -1, 0.7]) },
  'cloud-service': { label: 'cloud service', ...poly(regular(8, Math.PI / 8)) },
  saas: { label: 'SaaS', ...poly([-1, -1, 1, -1, 0.5, 1, -0.5, 1]) },
  'ai-system': { label: 'AI system', ...poly(regular(5, -Math.PI / 2, 0.45)) },
  'storage-media': { label: 'storage media', ...poly([-0.6, -1, 1, -1, 0.6, 1, -1, 1]) },
  printer: { label: 'printer', ...poly([-1, -0.3, 1, -0.3, 1, 1, -1, 1]) },
  unknown: { label: 'unknown kind', shape: 'ellipse' },
  vendor: { label: 'vendor / business associate', ...poly([-1, -1, 0.4, -1, 1, 0, 0.4, 1, -1, 1]) },
};

export const STATUS_STYLE = {
  up: { label: 'seen in the latest scan', opacity: 1, borderStyle: null as string | null },
  stale: { label: 'stale / missed (faded, dashed)', opacity: 0.45, borderStyle: 'dashed' },
};

export const AI_BADGE = { label: 'AI system (◆AI in the label, purple outline)', color: OKABE_ITO.purple, text: '◆AI' };
export const ALERT_BADGE = { label: 'open alerts (⚠n in the label)', text: '⚠' };

export interface FlowStyle {
  label: string;
  color: string;
  width: number;
  lineStyle: 'solid' | 'dashed' | 'dotted';
  dash?: number[];
}
export const FLOW_STYLE: Record<'ok' | 'unencrypted' | 'noBaa' | 'both', FlowStyle> = {
  ok: { label: 'ePHI flow, encrypted, covered', color: OKABE_ITO.blue, width: 2, lineStyle: 'solid' },
  unencrypted: { label: 'unencrypted ePHI flow', color: OKABE_ITO.vermillion, width: 4, lineStyle: 'dashed', dash: [10, 5] },
  noBaa: { label: 'to vendor / AI without BAA', color: OKABE_ITO.orange, width: 4, lineStyle: 'dotted', dash: [2, 4] },
  both: { label: 'unencrypted AND no BAA', color: OKABE_ITO.vermillion, width: 5, lineStyle: 'dashed', dash: [14, 4, 2, 4] },
};

export const REACH_STYLE = {
  source: { label: 'reach start', color: OKABE_ITO.black },
  target: { label: 'reached ePHI asset', color: OKABE_ITO.vermillion },
  path: { label: 'path', color: OKABE_ITO.blue },
};

/** Below this rendered font size labels are not drawn: zoomed-out maps show shapes only. */
export const MIN_LABEL_PX = 7;
/** The node label size at zoom 1. */
export const LABEL_FONT_PX = 11;

export function stylesheet(): StylesheetJson {
  const s: StylesheetJson = [
    {
      selector: 'node',
      style: {
        label: 'data(display)',
        'font-size': LABEL_FONT_PX,
        'min-zoomed-font-size': MIN_LABEL_PX,
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': 'wrap',
        'text-max-width': '140px',
        width: 28,
        height: 28,
        'background-color': EPHI_ROLE_STYLE.unknown!.fill,
        'border-color': EPHI_ROLE_STYLE.unknown!.border,
        'border-width': 1,
        color: '#1b1b1b',
        'text-outline-color': '#ffffff',
        'text-outline-width': 2,
      },
    },
    {
      selector: 'node[type = "group"]',
      style: {
        shape: 'round-rectangle',
        width: 'data(size)',
        height: 'data(size)',
        'background-color': '#f2f5f9',
        'border-color': '#4a5a6a',
        'border-width': 2,
        'text-valign': 'center',
        'text-halign': 'center',
        'text-margin-y': 0,
        'font-size': 13,
        'text-max-width': '200px',
      },
    },
    { selector: 'node[type = "group"][ephiCount > 0]', style: { 'border-color': EPHI_ROLE_STYLE.stores!.fill, 'border-width': 5, 'border-style': 'double' } },
    {
      selector: 'node[type = "group"]:parent',
      style: { 'text-valign': 'top', 'text-halign': 'center', 'background-opacity': 0.35, padding: '18px', 'text-margin-y': -4 },
    },
    { selector: 'node[type = "vendor"]', style: { 'background-color': '#ffffff', 'border-width': 2, 'border-color': '#333333' } },
  ];
  for (const [kind, k] of Object.entries(KIND_SHAPE)) {
    const sel = kind === 'vendor' ? 'node[type = "vendor"]' : `node[kind = "${kind}"]`;
    s.push({ selector: sel, style: k.shape === 'polygon' ? { shape: 'polygon', 'shape-polygon-points': k.points.join(' ') } : { shape: k.shape } });
  }
  for (const [role, r] of Object.entries(EPHI_ROLE_STYLE)) {
    s.push({
      selector: `node[type != "group"][ephiRole = "${role}"]`,
      style: { 'background-color': r.fill, 'border-color': r.border, 'border-width': r.borderWidth, 'border-style': r.borderStyle },
    });
  }
  s.push(
    { selector: 'node[?isAi]', style: { 'outline-width': 3, 'outline-color': AI_BADGE.color, 'outline-offset': 2 } },
    { selector: 'node[status = "stale"], node[status = "missed"]', style: { opacity: STATUS_STYLE.stale.opacity, 'border-style': 'dashed', 'border-width': 3 } },
    { selector: 'node:selected', style: { 'overlay-color': OKABE_ITO.blue, 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
    {
      selector: 'edge',
      style: { width: 'mapData(count, 1, 50, 1, 6)', 'line-color': '#9aa5b1', 'curve-style': 'bezier', opacity: 0.7, 'target-arrow-shape': 'none' },
    },
    { selector: 'edge[type = "connects"], edge[type = "asset-edge"]', style: { width: 1 } },
  );
  for (const [key, f] of Object.entries(FLOW_STYLE)) {
    s.push({
      selector: `edge.flow-${key}`,
      style: {
        width: f.width,
        'line-color': f.color,
        'target-arrow-color': f.color,
        'target-arrow-shape': 'triangle',
        'arrow-scale': 1.4,
        'line-style': f.lineStyle === 'solid' ? 'solid' : 'dashed',
        ...(f.dash ? { 'line-dash-pattern': f.dash } : {}),
        // Opaque: a translucent arrowhead costs Cytoscape a second, erasing pass per edge.
        opacity: 1,
      },
    });
  }
  s.push(
    { selector: '.dimmed', style: { opacity: 0.12 } },
    { selector: 'node.reach-source', style: { 'border-color': REACH_STYLE.source.color, 'border-width': 6, 'border-style': 'solid', opacity: 1 } },
    { selector: 'node.reach-target', style: { 'underlay-color': REACH_STYLE.target.color, 'underlay-opacity': 0.35, 'underlay-padding': 8, opacity: 1 } },
    { selector: 'node.reach-hop', style: { opacity: 1 } },
    {
      selector: 'edge.reach-path',
      style: { width: 5, 'line-color': REACH_STYLE.path.color, 'target-arrow-shape': 'triangle', 'target-arrow-color': REACH_STYLE.path.color, opacity: 1, 'z-index': 10 },
    },
    // Large graphs: straight edges (no bezier control points), and no label until the node's
    // turn comes after the shapes are drawn (the canvas removes the class a chunk per frame).
    { selector: 'edge.fast', style: { 'curve-style': 'straight' } },
    { selector: 'node.unlabelled', style: { label: '' } },
  );
  return s;
}

/** The text drawn under a node; badges are text so they survive PNG export and colour-blindness. */
export function displayLabel(d: { label?: string; isAi?: boolean; alertCount?: number; type?: string; count?: number; ephiCount?: number; aiCount?: number; staleCount?: number }): string {
  if (d.type === 'group') {
    // An outside party (vendor, AI service) on a subnet map has no assets of ours inside it.
    if (!d.count) return d.label ?? '';
    const t = [`${d.count} asset${d.count === 1 ? '' : 's'}`];
    if (d.ephiCount) t.push(`${d.ephiCount} ePHI`);
    if (d.aiCount) t.push(`${d.aiCount} AI`);
    if (d.staleCount) t.push(`${d.staleCount} stale`);
    if (d.alertCount) t.push(`${ALERT_BADGE.text}${d.alertCount}`);
    return `${d.label ?? ''}\n${t.join(' · ')}`;
  }
  let s = d.label ?? '';
  if (d.isAi) s = `${AI_BADGE.text} ${s}`;
  if (d.alertCount) s += ` ${ALERT_BADGE.text}${d.alertCount}`;
  return s;
}

/** The flow style class of an ePHI flow edge (one flow, or an aggregate with counts). */
export function flowClass(d: Record<string, unknown>): string | null {
  if (d.type !== 'ephi-flow' && d.type !== 'ephi-flows') return null;
  const unenc = d.encryptedInTransit === false || Number(d.unencryptedCount ?? 0) > 0;
  const noBaa = d.baaCovered === false || Number(d.uncoveredCount ?? 0) > 0;
  return unenc && noBaa ? 'flow-both' : unenc ? 'flow-unencrypted' : noBaa ? 'flow-noBaa' : 'flow-ok';
}
