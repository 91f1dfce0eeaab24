import cytoscape, { type Core, type ElementDefinition, type NodeSingular } from 'cytoscape';
import { groupedGridLayout, type LayoutInput, type Positions } from './grouped-grid.js';
import { displayLabel, flowClass, LABEL_FONT_PX, MIN_LABEL_PX, stylesheet } from './styles.js';

/**
 * fcose (with cose-base and layout-base) is loaded the first time a small graph needs it: the 100k
 * overview never does, and evaluating it with the page's own bundle made that task longer.
 */
let fcoseReady: Promise<void> | null = null;
const loadFcose = (): Promise<void> =>
  (fcoseReady ??= import('cytoscape-fcose').then((m) => {
    cytoscape.use(m.default);
  }));

/** About this many nodes on the canvas at most; beyond it views ask the server for aggregates. */
export const NODE_BUDGET = 2000;
/**
 * Force-directed layout (fcose, synchronous, on the main thread) only for graphs this small: at
 * 49 nodes and 60 edges it already took 267 ms on the loaded test machine. Anything larger is
 * placed by the worker's grouped grid.
 */
const FORCE_LAYOUT_MAX_NODES = 40;
const FORCE_LAYOUT_MAX_EDGES = 100;
/**
 * Elements handed to Cytoscape per step; adapted to what the last step's own task cost. The first
 * chunk of nodes and the first chunk of edges are small: their styling, geometry and first draw run
 * through code the JIT has not compiled yet (100 elements cost 60–100 ms in that first step).
 */
const CHUNK_START = 25;
const CHUNK_MIN = 25;
const CHUNK_MAX = 400;
/** An add task that took longer than this halves the next chunk; a quick one grows it. */
const ADD_SLOW_MS = 30;
const ADD_FAST_MS = 12;
/** From this many elements on, edges are hidden and the canvas is a texture while panning/zooming. */
const LARGE_GRAPH = 400;

const frame = () => new Promise<number>((r) => requestAnimationFrame((t) => r(t)));
/**
 * Resolves in a task of its own after the current one, without setTimeout's clamping. Awaited after
 * frame(), it resumes once the browser has finished that frame (Cytoscape's redraw and the canvas
 * raster that follows it), so the next chunk's work is never added to a frame's task.
 */
const nextTask = () =>
  new Promise<void>((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(null);
  });

interface RendererInternals {
  hideEdgesOnViewport: boolean;
  textureOnViewport: boolean;
  path2dEnabled?(on: boolean): void;
  /** Computes the rendered style (bounds, label sizes, edge end points) of changed elements now. */
  flushRenderedStyleQueue?(): void;
}

export interface DrawOptions {
  /** Called on the first animation frame that shows part of the new graph (the "first render"). */
  onFirstPaint?: () => void;
}

const isEdge = (e: ElementDefinition) => e.data.source !== undefined && e.data.target !== undefined;

/**
 * The wrapper around the single Cytoscape instance: created once, then fed batches. Views never
 * call cytoscape() themselves; they replace or add elements here and the wrapper decides the
 * layout (fcose when small, a worker-computed grid when large) and spreads big additions over
 * steps: each step adds one chunk inside `cy.batch()` in a task of its own, and the frame that
 * draws it does nothing else, so no single task styles, measures and draws the whole graph.
 * Labels (text measurement, outlines) are switched on after the shapes are in, again a chunk per
 * step.
 */
export class GraphCanvas {
  readonly cy: Core;
  private worker: Worker | null = null;
  private generation = 0;
  private chunk = CHUNK_START;
  private edgesDrawn = false;

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
    // Path2D caching draws every edge and arrowhead through its own transform, which Chromium's
    // software canvas rasterises at a high cost per shape (a full redraw of the 2,000-element
    // overview: 62 ms with it, 48 ms without, load ~5); plain path calls draw the same pixels.
    this.renderer()?.path2dEnabled?.(false);
    this.listenViewport();
  }

  /** Labels of staged nodes come on when the viewport settles after a pan or zoom. */
  private listenViewport(): void {
    let settle: ReturnType<typeof setTimeout> | undefined;
    this.cy.on('viewport', () => {
      clearTimeout(settle);
      settle = setTimeout(() => void this.labelVisible(), 200);
    });
  }

  /**
   * Drops the listeners the previous view added (taps and the like) but keeps the canvas's own:
   * `cy.removeAllListeners()` alone also removed the viewport listener, so a zoomed-out large map
   * never showed a label after zooming in.
   */
  clearViewListeners(): void {
    this.cy.removeAllListeners();
    this.listenViewport();
  }

  /** Fill in the label text from the data (badges included) before elements reach Cytoscape. */
  private prepare(els: ElementDefinition[], staged = false): ElementDefinition[] {
    for (const e of els) {
      if (isEdge(e)) {
        const c = [flowClass(e.data as Record<string, unknown>), staged ? 'fast' : null].filter(Boolean).join(' ');
        if (c) e.classes = c;
        continue;
      }
      const d = e.data as Record<string, unknown>;
      d.display = displayLabel(d);
      if (d.type === 'group') d.size = Math.round(50 + Math.min(110, Math.sqrt(Number(d.count ?? 1)) * 9));
      if (staged) e.classes = 'unlabelled';
    }
    return els;
  }

  /** The canvas renderer's run-time switches (not part of Cytoscape's typed API). */
  private renderer(): RendererInternals | null {
    return (this.cy as unknown as { renderer(): RendererInternals | null }).renderer();
  }

  /** Large graphs draw edges only at rest and pan/zoom a texture; small ones stay crisp. */
  private tuneRenderer(): void {
    const big = this.cy.elements().length >= LARGE_GRAPH;
    const r = this.renderer();
    if (r) {
      r.hideEdgesOnViewport = big;
      r.textureOnViewport = big;
    }
  }

  /**
   * Adds elements a chunk per step (see step()), nodes before edges, then switches their labels on
   * the same way. Returns false when a newer replace() started meanwhile.
   */
  private async addStaged(ordered: ElementDefinition[], gen: number, opts: DrawOptions = {}): Promise<boolean> {
    let first = true;
    const firstEdge = ordered.findIndex(isEdge);
    const nodesEnd = firstEdge < 0 ? ordered.length : firstEdge;
    for (let i = 0; i < ordered.length; ) {
      if (gen !== this.generation) return false;
      // The very first edges start small again, like the very first nodes did (cold code).
      if (i === nodesEnd && !this.edgesDrawn) this.chunk = Math.min(this.chunk, CHUNK_START);
      const part = ordered.slice(i, i < nodesEnd ? Math.min(i + this.chunk, nodesEnd) : i + this.chunk);
      i += part.length;
      await this.step(() => this.cy.add(part));
      if (i > nodesEnd) this.edgesDrawn = true;
      if (first) {
        first = false;
        opts.onFirstPaint?.();
      }
    }
    this.tuneRenderer();
    await this.labelVisible(gen);
    return true;
  }

  /**
   * One step of a staged change, in its own task: the change in one `cy.batch`, then its rendered
   * style (bounds, edge end points) computed here rather than at the start of the frame that draws
   * it; then that frame; then a fresh task. So a frame's task holds the redraw and its raster only,
   * and the chunk size follows what the step itself cost.
   */
  private async step(change: () => unknown): Promise<void> {
    const t0 = performance.now();
    this.cy.batch(() => {
      change();
    });
    this.renderer()?.flushRenderedStyleQueue?.();
    this.adapt(performance.now() - t0);
    await frame();
    await nextTask();
  }

  /**
   * Switches labels on for the staged nodes inside the viewport, a chunk per step, but only at a
   * zoom where a label would be drawn at all (MIN_LABEL_PX): a zoomed-out large map never pays for
   * text measurement. Runs again when the viewport settles after a pan or zoom.
   */
  private async labelVisible(gen = this.generation): Promise<void> {
    if (this.cy.zoom() * LABEL_FONT_PX < MIN_LABEL_PX) return;
    const ext = this.cy.extent();
    const todo = this.cy.nodes('.unlabelled').filter((n) => {
      const p = n.position();
      return p.x >= ext.x1 - 50 && p.x <= ext.x2 + 50 && p.y >= ext.y1 - 50 && p.y <= ext.y2 + 50;
    });
    const arr = todo.toArray();
    for (let i = 0; i < arr.length; ) {
      if (gen !== this.generation) return;
      const part = arr.slice(i, i + this.chunk);
      i += part.length;
      await this.step(() => {
        for (const n of part) n.removeClass('unlabelled');
      });
    }
  }

  private adapt(ms: number): void {
    if (ms > ADD_SLOW_MS) this.chunk = Math.max(CHUNK_MIN, Math.floor(this.chunk / 2));
    else if (ms < ADD_FAST_MS) this.chunk = Math.min(CHUNK_MAX, Math.ceil(this.chunk * 1.5));
  }

  /** Sets zoom and pan so that the given positions fill the canvas, before any element is added. */
  private viewportFor(pos: { x: number; y: number }[], padding = 40): void {
    if (!pos.length) return;
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    for (const p of pos) {
      x1 = Math.min(x1, p.x); y1 = Math.min(y1, p.y); x2 = Math.max(x2, p.x); y2 = Math.max(y2, p.y);
    }
    const w = Math.max(1, this.cy.width() - 2 * padding);
    const h = Math.max(1, this.cy.height() - 2 * padding);
    // Half a node around the outermost centres.
    x1 -= 40; y1 -= 40; x2 += 40; y2 += 40;
    const zoom = Math.min(1.5, Math.max(this.cy.minZoom(), Math.min(w / (x2 - x1), h / (y2 - y1))));
    this.cy.viewport({ zoom, pan: { x: this.cy.width() / 2 - zoom * (x1 + x2) / 2, y: this.cy.height() / 2 - zoom * (y1 + y2) / 2 } });
  }

  /**
   * Replace everything on the canvas; resolves once every element is in and labelled. Small graphs
   * get a force layout; large ones are placed by precomputed positions and added in chunks.
   */
  async replace(elements: ElementDefinition[], opts: DrawOptions = {}): Promise<void> {
    const gen = ++this.generation;
    const nodes = elements.filter((e) => !isEdge(e));
    const edges = elements.filter(isEdge);
    const ids = new Set(nodes.map((n) => String(n.data.id)));
    const goodEdges = edges.filter((e) => ids.has(String(e.data.source)) && ids.has(String(e.data.target)));
    const small = nodes.length <= FORCE_LAYOUT_MAX_NODES && goodEdges.length <= FORCE_LAYOUT_MAX_EDGES;
    this.prepare(elements, !small);
    this.cy.batch(() => this.cy.elements().remove());
    if (small) {
      this.cy.batch(() => this.cy.add([...nodes, ...goodEdges]));
      this.tuneRenderer();
      await this.runForce(true);
      opts.onFirstPaint?.();
      return;
    }
    // Collapsed groups are drawn up to 160 px wide: loose top-level cells must be at least that, or
    // neighbouring groups cover each other (and the flows between them).
    const widest = nodes.reduce((w, n) => (n.data.type === 'group' ? Math.max(w, Number(n.data.size ?? 0)) : w), 0);
    const pos = await this.gridPositions({
      nodes: nodes.map((n) => ({ id: String(n.data.id), parent: (n.data.parent as string | undefined) ?? null })),
      looseSpacing: Math.max(70, widest + 30),
    });
    if (gen !== this.generation) return;
    for (const n of nodes) n.position = pos[String(n.data.id)] ?? { x: 0, y: 0 };
    this.viewportFor(nodes.map((n) => n.position!));
    // Nodes first (parents before children), then edges.
    const ordered = [...nodes.filter((n) => !n.data.parent), ...nodes.filter((n) => n.data.parent), ...goodEdges];
    await this.addStaged(ordered, gen, opts);
  }

  /** Add children inside a compound parent (expand in place) and their edges. */
  async addInto(parentId: string, elements: ElementDefinition[]): Promise<void> {
    const gen = this.generation;
    const parent = this.cy.getElementById(parentId);
    const center = parent.nonempty() ? parent.position() : { x: 0, y: 0 };
    const nodes = elements.filter((e) => !isEdge(e) && this.cy.getElementById(String(e.data.id)).empty());
    const small = this.cy.nodes().length + nodes.length <= FORCE_LAYOUT_MAX_NODES;
    this.prepare(elements, !small);
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
    if (small) {
      this.cy.batch(() => this.cy.add(nodes));
      this.addEdges(elements);
      await this.runForce(false);
      return;
    }
    // Moving the groups re-routes every edge: that geometry is computed in this step's task, not in
    // the frame that draws it.
    await this.step(() => this.pushApartGroups(nodes));
    const fresh = this.freshEdges(elements);
    await this.addStaged([...nodes, ...fresh], gen);
    this.cy.fit(undefined, 30);
  }

  addEdges(elements: ElementDefinition[]): void {
    const fresh = this.freshEdges(elements);
    if (fresh.length) this.cy.batch(() => this.cy.add(fresh));
  }

  /** Edges not on the canvas yet whose ends are (or are about to be) there. */
  private freshEdges(elements: ElementDefinition[], coming: Set<string> = new Set(elements.filter((e) => !isEdge(e)).map((e) => String(e.data.id)))): ElementDefinition[] {
    const there = (id: unknown) => coming.has(String(id)) || this.cy.getElementById(String(id)).nonempty();
    return elements.filter((e) => isEdge(e) && this.cy.getElementById(String(e.data.id)).empty() && there(e.data.source) && there(e.data.target));
  }

  /** Remove a group's children (collapse) and re-run the layout if the graph is small. */
  async collapse(parentId: string): Promise<void> {
    const parent = this.cy.getElementById(parentId);
    this.cy.batch(() => parent.children().remove());
    if (this.cy.nodes().length <= FORCE_LAYOUT_MAX_NODES && this.cy.edges().length <= FORCE_LAYOUT_MAX_EDGES) await this.runForce(false);
    this.tuneRenderer();
  }

  /**
   * Before an in-place expansion of a large map is added: re-pack the groups (the incoming
   * children included) so that none overlap. Incoming nodes get their positions in their
   * definitions; nodes already drawn move only when their place changed.
   */
  private pushApartGroups(incoming: ElementDefinition[]): void {
    const tops = this.cy.nodes().orphans().sort((a, b) => a.position('x') - b.position('x'));
    const byParent = new Map<string, string[]>();
    for (const n of incoming) {
      const p = String(n.data.parent ?? '');
      byParent.set(p, [...(byParent.get(p) ?? []), String(n.data.id)]);
    }
    const input: LayoutInput = { nodes: [] };
    tops.forEach((n) => {
      input.nodes.push({ id: n.id(), parent: null });
      n.children().forEach((c) => {
        input.nodes.push({ id: c.id(), parent: n.id() });
      });
      for (const id of byParent.get(n.id()) ?? []) input.nodes.push({ id, parent: n.id() });
    });
    // Collapsed groups are drawn up to 160 px wide: their cells must be at least that.
    const widest = Math.max(0, ...this.cy.nodes('[type = "group"]').filter((n) => n.isChildless() && !byParent.has(n.id())).map((n) => Number(n.data('size') ?? 0)));
    const pos = groupedGridLayout({ ...input, spacing: 70, looseSpacing: Math.max(70, widest + 30) });
    for (const n of incoming) {
      const p = pos[String(n.data.id)];
      if (p) n.position = p;
    }
    this.cy.batch(() => {
      this.cy.nodes().forEach((n) => {
        if (n.isParent()) return;
        const p = pos[n.id()];
        if (p && (p.x !== n.position('x') || p.y !== n.position('y'))) n.position(p);
      });
    });
  }

  private async runForce(randomize: boolean): Promise<void> {
    if (this.cy.nodes().length === 0) return;
    await loadFcose();
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
        w.removeEventListener('error', failed);
        resolve(ev.data);
      };
      // A worker that cannot load (blocked, missing) must not leave the map empty.
      const failed = () => {
        w.removeEventListener('message', done);
        w.removeEventListener('error', failed);
        this.worker = null;
        resolve(groupedGridLayout(input));
      };
      w.addEventListener('message', done);
      w.addEventListener('error', failed);
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
