import { NODES, RELATIONSHIPS, type NodeType, type RelType } from './schema.js';

/**
 * The node and relationship tables of graph-schema/README.md, generated from the declarations.
 * `npx tsx graph-schema/src/schema-doc.ts` prints them; a unit test keeps the README in step.
 */
export function schemaTables(): string {
  const lines = ['| Label | Key (unique) | Other unique | Indexes | Meaning |', '|---|---|---|---|---|'];
  for (const n of Object.values(NODES) as NodeType[]) {
    const idx = [...(n.indexes ?? []), ...(n.textIndexes ?? []).map((t) => `${t} (text)`)].join(', ');
    lines.push(`| ${n.label} | ${n.key} | ${(n.unique ?? []).join(', ')} | ${idx} | ${n.description} |`);
  }
  lines.push('', '| Relationship | From | To | Meaning |', '|---|---|---|---|');
  for (const r of Object.values(RELATIONSHIPS) as RelType[]) {
    const list = (x: string | string[]) => (Array.isArray(x) ? x.join(', ') : x);
    lines.push(`| ${r.type} | ${list(r.from)} | ${list(r.to)} | ${r.description} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(schemaTables());
