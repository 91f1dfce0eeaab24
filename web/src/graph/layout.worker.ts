/// <reference lib="webworker" />
import { groupedGridLayout, type LayoutInput } from './grouped-grid.js';

/** Positions for large graphs are computed here, off the main thread. */
self.onmessage = (ev: MessageEvent<LayoutInput>) => {
  const positions = groupedGridLayout(ev.data);
  (self as unknown as Worker).postMessage(positions);
};
