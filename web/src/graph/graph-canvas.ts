import cytoscape, { type Core, type ElementDefinition, type NodeSingular } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { groupedGridLayout, type LayoutInput, type Positions } from './grouped-grid.js';
import { displayLabel, flowClass, stylesheet } from './styles.js';

cytoscape.use(fcose);

/** About this many nodes on the canvas at most; beyond it views ask the server for aggregates. */
export const NODE_BUDGET = 2000;
/** Force-directed layout only for graphs this small; larger ones use the worker's grid. */
const FORCE_LAYOUT_MAX = 350;
const CHUNK = 400;

const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

/**
 * The wrapper around the single Cytoscape instance: created once, then fed batches. Views never
 * call cytoscape() themselves; they replace or add elements here and the wrapper decides the
 * layout (fcose when small, a worker-computed grid when large) and spreads big additions over
 * several animation frames so the page stays responsive.
 */
export class GraphCanvas {
  readonly cy: Core;
  private worker: Worker | null = null;
  private generation = 0;

  constructor(public container: HTMLElement) {
    this.cy = cytoscape({
      container,
      style: stylesheet(),
      layout: { name: 'preset' },
      minZoom: 0.03,
      maxZoom: 4,
      wheelSensitivity: 0.4,
      boxSelectionEnabled: false,
      hideEdgesOnViewport: false,
      textureOnViewport: false,
    });
  }

  /** Fill in the label text from the data (badges included) before elements reach Cytoscape. */
  private prepare(els: ElementDefinition[]): ElementDefinition[] {
    for (const e of els) {
      if (e.group === 'edges' || (e.data.source !== undefined && e.data.target !== undefined)) {
        const c = flowClass(e.data as Record<string, unknown>);
        if (c) e.classes = c;
        continue;
      }
      const d = e.data as Record<string, unknown>;
      d.display = displayLabel(d);
      if (d.type === 'group') d.size = Math.round(50 + Math.min(110, Math.sqrt(Number(d.count ?? 1)) * 9));
    }
    return els;
  }

  /** Replace everything on the canvas; resolves once the elements are drawn and laid out. */
  async replace(elements: ElementDefinition[]): Promise<void> {
    const gen = ++this.generation;
    this.prepare(elements);
    const nodes = elements.filter((e) => !(e.data.source !== undefined && e.data.target !== undefined));
    const edges = elements.filter((e) => e.data.source !== undefined && e.data.target !== undefined);
    const ids = new Set(nodes.map((n) => String(n.data.id)));
    const goodEdges = edges.filter((e) => ids.has(String(e.data.source)) && ids.has(String(e.data.target)));
    this.cy.batch(() => this.cy.elements().remove());
    if (nodes.length <= FORCE_LAYOUT_MAX) {
      this.cy.batch(() => this.cy.add([...nodes, ...goodEdges]));
      await this.runForce(true);
    } else {
      const pos = await this.gridPositions({ nodes: nodes.map((n) => ({ id: String(n.data.id), parent: (n.data.parent as string | undefined) ?? null })) });
      if (gen !== this.generation) return;
      for (const n of nodes) n.position = pos[String(n.data.id)] ?? { x: 0, y: 0 };
      // Nodes first (parents before children), then edges, a chunk per frame.
      const ordered = [...nodes.filter((n) => !n.data.parent), ...nodes.filter((n) => n.data.parent), ...goodEdges];
      for (let i = 0; i < ordered.length; i += CHUNK) {
        if (gen !== this.generation) return;
        this.cy.batch(() => this.cy.add(ordered.slice(i, i + CHUNK)));
        if (i === 0) this.cy.fit(undefined, 30);
        await frame();
      }
      this.cy.fit(undefined, 30);
    }
  }

  /** Add children inside a compound parent (expand in place) and their edges. */
  async addInto(parentId: string, elements: ElementDefinition[]): Promise<void> {
    this.prepare(elements);
    const parent = this.cy.getElementById(parentId);
    const center = parent.nonempty() ? parent.position() : { x: 0, y: 0 };
    const nodes = elements.filter((e) => !(e.data.source !== undefined && e.data.target !== undefined) && this.cy.getElementById(String(e.data.id)).empty());
    for (const n of nodes) n.data.parent = parentId;
    const layoutNodes: LayoutInput['nodes'] = [{ id: parentId, parent: null }, ...nodes.map((n) => ({ id: String(n.data.id), parent: parentId }))];
    const pos = groupedGridLayout({ nodes: layoutNodes });
    // Centre the block on where the group node was.
    const xs = Object.values(pos);
    const cx = xs.reduce((s, p) => s + p.x, 0) / (xs.length || 1);
    const cyy = xs.reduce((s, p) => s + p.y, 0) / (xs.length || 1);
    for (const n of nodes) {
      const p = pos[String(n.data.id)] ?? { x: 0, y: 0 };
      n.position = { x: center.x + p.x - cx, y: center.y + p.y - cyy };
    }
    this.cy.batch(() => this.cy.add(nodes));
    this.addEdges(elements);
    if (this.cy.nodes().length <= FORCE_LAYOUT_MAX) await this.runForce(false);
    else {
      this.pushApartGroups();
      this.cy.fit(undefined, 30);
    }
  }

  addEdges(elements: ElementDefinition[]): void {
    const edges = elements.filter((e) => e.data.source !== undefined && e.data.target !== undefined);
    const fresh = edges.filter((e) => this.cy.getElementById(String(e.data.id)).empty() && this.cy.getElementById(String(e.data.source)).nonempty() && this.cy.getElementById(String(e.data.target)).nonempty());
    if (fresh.length) this.cy.batch(() => this.cy.add(fresh));
  }

  /** Remove a group's children (collapse) and re-run the layout if the graph is small. */
  async collapse(parentId: string): Promise<void> {
    const parent = this.cy.getElementById(parentId);
    this.cy.batch(() => parent.children().remove());
    if (this.cy.nodes().length <= FORCE_LAYOUT_MAX) await this.runForce(false);
  }

  /** After an in-place expansion of a large map, shift groups so that none overlap. */
  private pushApartGroups(): void {
    const tops = this.cy.nodes().orphans().sort((a, b) => a.position('x') - b.position('x'));
    const pos: Positions = {};
    const input: LayoutInput = { nodes: [] };
    tops.forEach((n) => {
      input.nodes.push({ id: n.id(), parent: null });
      n.children().forEach((c) => {
        input.nodes.push({ id: c.id(), parent: n.id() });
      });
    });
    Object.assign(pos, groupedGridLayout({ ...input, spacing: 70 }));
    // Groups without children are single nodes in the loose block; keep compound blocks apart.
    this.cy.batch(() => {
      this.cy.nodes().forEach((n) => {
        if (n.isParent()) return;
        const p = pos[n.id()];
        if (p) n.position(p);
      });
    });
  }

  private runForce(randomize: boolean): Promise<void> {
    return new Promise((resolve) => {
      if (this.cy.nodes().length === 0) return resolve();
      const layout = this.cy.layout({
        name: 'fcose',
        quality: 'default',
        randomize,
        animate: false,
        fit: true,
        padding: 30,
        nodeDimensionsIncludeLabels: true,
        nodeRepulsion: () => 9000,
        idealEdgeLength: () => 90,
        nodeSeparation: 90,
        packComponents: true,
        tilingPaddingVertical: 30,
        tilingPaddingHorizontal: 30,
      } as cytoscape.LayoutOptions);
      layout.one('layoutstop', () => {
        // Fitting two or three nodes would blow them up to poster size.
        if (this.cy.zoom() > 1.5) {
          this.cy.zoom(1.5);
          this.cy.center();
        }
        resolve();
      });
      layout.run();
    });
  }

  private gridPositions(input: LayoutInput): Promise<Positions> {
    try {
      this.worker ??= new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
    } catch {
      return Promise.resolve(groupedGridLayout(input));
    }
    const w = this.worker;
    return new Promise((resolve) => {
      const done = (ev: MessageEvent<Positions>) => {
        w.removeEventListener('message', done);
        resolve(ev.data);
      };
      w.addEventListener('message', done);
      w.postMessage(input);
    });
  }

  /** Dim everything except the given elements. */
  highlight(keep: cytoscape.CollectionArgument | null): void {
    this.cy.batch(() => {
      this.cy.elements().removeClass('dimmed');
      if (keep) this.cy.elements().difference(keep).addClass('dimmed');
    });
  }

  focusOn(id: string): NodeSingular | null {
    const n = this.cy.getElementById(id);
    if (n.empty()) return null;
    this.cy.elements().unselect();
    n.select();
    this.cy.animate({ center: { eles: n }, zoom: Math.max(this.cy.zoom(), 1.2) }, { duration: 250 });
    return n as NodeSingular;
  }

  /** Move the instance to another view's element (Cytoscape's mount/unmount keeps all elements). */
  remount(container: HTMLElement): void {
    if (container === this.container) return this.resize();
    this.cy.unmount();
    this.cy.mount(container);
    this.container = container;
    this.cy.resize();
  }

  resize(): void {
    this.cy.resize();
  }
}
