/**
 * The view lives in the URL hash (`#/map?groupBy=subnet&expand=…`) so any view can be shared by
 * link and survives a reload. Views read their state from the route and write it back with `go`.
 */
export interface Route {
  view: string;
  params: URLSearchParams;
}

export function current(): Route {
  const raw = location.hash.replace(/^#\/?/, '');
  const [view = '', query = ''] = raw.split('?');
  return { view: view || 'map', params: new URLSearchParams(query) };
}

export function href(view: string, params: Record<string, string | undefined | null> = {}): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
  const q = u.toString();
  return `#/${view}${q ? `?${q}` : ''}`;
}

/** Navigate; `replace` updates the URL without a history entry and without re-rendering. */
export function go(view: string, params: Record<string, string | undefined | null> = {}, opts: { replace?: boolean } = {}): void {
  const next = href(view, params);
  if (opts.replace) history.replaceState(null, '', next);
  else location.hash = next;
}

export function paramsOf(p: URLSearchParams): Record<string, string> {
  return Object.fromEntries(p.entries());
}
