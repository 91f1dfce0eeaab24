import { h } from '../lib/dom.js';
import { AI_BADGE, ALERT_BADGE, EPHI_ROLE_STYLE, FLOW_STYLE, KIND_SHAPE, REACH_STYLE, STATUS_STYLE, type KindShape } from './styles.js';

/** The legend, drawn from the same declarations as the stylesheet (graph/styles.ts). */
const NS = 'http://www.w3.org/2000/svg';

function svg(w: number, h2: number, ...kids: SVGElement[]): SVGSVGElement {
  const s = document.createElementNS(NS, 'svg');
  s.setAttribute('width', String(w));
  s.setAttribute('height', String(h2));
  s.setAttribute('viewBox', `0 0 ${w} ${h2}`);
  s.setAttribute('aria-hidden', 'true');
  s.append(...kids);
  return s;
}

function shapeEl(k: KindShape, fill: string, stroke: string, strokeWidth = 1.5, dash?: string): SVGElement {
  const size = 9;
  let e: SVGElement;
  if (k.shape === 'polygon') {
    e = document.createElementNS(NS, 'polygon');
    const pts: string[] = [];
    for (let i = 0; i < k.points.length; i += 2) pts.push(`${11 + k.points[i]! * size},${11 + k.points[i + 1]! * size}`);
    e.setAttribute('points', pts.join(' '));
  } else if (k.shape === 'ellipse') {
    e = document.createElementNS(NS, 'circle');
    e.setAttribute('cx', '11');
    e.setAttribute('cy', '11');
    e.setAttribute('r', String(size));
  } else {
    e = document.createElementNS(NS, 'rect');
    e.setAttribute('x', String(11 - size));
    e.setAttribute('y', String(11 - size));
    e.setAttribute('width', String(size * 2));
    e.setAttribute('height', String(size * 2));
    if (k.shape === 'round-rectangle') e.setAttribute('rx', '4');
  }
  e.setAttribute('fill', fill);
  e.setAttribute('stroke', stroke);
  e.setAttribute('stroke-width', String(strokeWidth));
  if (dash) e.setAttribute('stroke-dasharray', dash);
  return e;
}

function line(color: string, width: number, dash?: number[]): SVGElement {
  const l = document.createElementNS(NS, 'line');
  l.setAttribute('x1', '2');
  l.setAttribute('y1', '11');
  l.setAttribute('x2', '34');
  l.setAttribute('y2', '11');
  l.setAttribute('stroke', color);
  l.setAttribute('stroke-width', String(Math.min(width, 5)));
  if (dash) l.setAttribute('stroke-dasharray', dash.join(' '));
  return l;
}

const DASH: Record<string, string | undefined> = { dotted: '2 2', dashed: '5 3', double: undefined, solid: undefined };

export function legend(mode: 'map' | 'flows' | 'reach', kindsPresent?: Set<string>): HTMLElement {
  const box = h('section', { class: 'legend', 'aria-label': 'Legend' }, h('h2', {}, 'Legend'));
  const list = (title: string, items: [SVGElement, string][]) => {
    const ul = h('ul');
    for (const [icon, text] of items) {
      const li = h('li', {}, text);
      li.prepend(icon);
      ul.append(li);
    }
    box.append(h('h3', {}, title), ul);
  };
  const circle: KindShape = { shape: 'ellipse' };
  list(
    'ePHI role (colour + border)',
    Object.values(EPHI_ROLE_STYLE).map((r) => [svg(22, 22, shapeEl(circle, r.fill, r.border, Math.min(r.borderWidth, 3), DASH[r.borderStyle])), r.label]),
  );
  const kinds = Object.entries(KIND_SHAPE).filter(([k]) => !kindsPresent || kindsPresent.has(k) || (mode === 'flows' && k === 'vendor'));
  list('Kind (shape)', kinds.map(([, k]) => [svg(22, 22, shapeEl(k, '#ffffff', '#333333')), k.label]));
  list('Status and badges', [
    [svg(22, 22, shapeEl(circle, '#e6e6e6', '#777', 1.5)), STATUS_STYLE.up.label],
    [svg(22, 22, shapeEl(circle, 'rgba(230,230,230,0.45)', '#777', 2, '4 2')), STATUS_STYLE.stale.label],
    [svg(22, 22, shapeEl(circle, '#e6e6e6', AI_BADGE.color, 3)), AI_BADGE.label],
    [svg(22, 22), ALERT_BADGE.label],
  ]);
  if (mode === 'flows') list('ePHI flows (colour + line pattern, arrow = direction)', Object.values(FLOW_STYLE).map((f) => [svg(36, 22, line(f.color, f.width, f.dash)), f.label]));
  if (mode === 'reach') {
    list('Reach', [
      [svg(22, 22, shapeEl(circle, '#fff', REACH_STYLE.source.color, 4)), REACH_STYLE.source.label],
      [svg(22, 22, shapeEl(circle, 'rgba(213,94,0,0.35)', REACH_STYLE.target.color, 2)), REACH_STYLE.target.label],
      [svg(36, 22, line(REACH_STYLE.path.color, 5)), REACH_STYLE.path.label],
    ]);
  }
  return box;
}
