/**
 * A deterministic layout for graphs too large for force-directed layout on the main thread:
 * each group's members sit in a square grid, and the groups are shelf-packed in rows. It reads as
 * clusters, costs O(n), and the same input always gives the same picture.
 */
export interface LayoutInput {
  nodes: { id: string; parent?: string | null }[];
  spacing?: number;
  /** Cell size for loose top-level nodes (collapsed groups are larger than assets). */
  looseSpacing?: number;
  /** Where already-placed top-level nodes are; new groups are packed below them. */
  origin?: { x: number; y: number };
}
export type Positions = Record<string, { x: number; y: number }>;

export function groupedGridLayout(input: LayoutInput): Positions {
  const spacing = input.spacing ?? 70;
  const children = new Map<string, string[]>();
  const isParent = new Set<string>();
  for (const n of input.nodes) {
    if (n.parent) {
      isParent.add(n.parent);
      const list = children.get(n.parent) ?? [];
      list.push(n.id);
      children.set(n.parent, list);
    }
  }
  // Blocks: one per parent (its children in a grid) and one per loose top-level node.
  const blocks: { ids: string[]; cols: number; rows: number; cell?: number }[] = [];
  const loose: string[] = [];
  for (const n of input.nodes) {
    if (n.parent) continue;
    if (isParent.has(n.id)) {
      const ids = children.get(n.id)!;
      const cols = Math.ceil(Math.sqrt(ids.length));
      blocks.push({ ids, cols, rows: Math.ceil(ids.length / cols) });
    } else loose.push(n.id);
  }
  if (loose.length) {
    const cols = Math.ceil(Math.sqrt(loose.length) * 1.5);
    blocks.push({ ids: loose, cols, rows: Math.ceil(loose.length / cols), cell: input.looseSpacing ?? spacing });
  }
  blocks.sort((a, b) => b.rows - a.rows);
  const total = blocks.reduce((s, b) => s + b.cols * b.rows, 0);
  const rowWidth = Math.max(Math.sqrt(total) * 1.6, blocks[0]?.cols ?? 1) * spacing;
  const out: Positions = {};
  let x = input.origin?.x ?? 0;
  let y = input.origin?.y ?? 0;
  const x0 = x;
  let shelf = 0;
  for (const b of blocks) {
    const cell = b.cell ?? spacing;
    const w = b.cols * cell;
    if (x > x0 && x + w > x0 + rowWidth) {
      x = x0;
      y += shelf + spacing * 2;
      shelf = 0;
    }
    b.ids.forEach((id, i) => {
      out[id] = { x: x + (i % b.cols) * cell, y: y + Math.floor(i / b.cols) * cell };
    });
    x += w + spacing * 2;
    shelf = Math.max(shelf, b.rows * cell);
  }
  return out;
}
