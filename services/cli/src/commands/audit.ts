import { AuditRepository } from '../../../core/src/graph/audit-repository.js';
import type { CliCommand } from './types.js';

export const auditCommands: CliCommand[] = [
  {
    group: 'audit',
    name: 'verify',
    summary: 'check the audit hash chain; names the first broken entry (exit 1) or prints OK with the count',
    usage: 'audit verify',
    async run(ctx) {
      const r = await new AuditRepository(ctx.graph).verify();
      if (r.ok) {
        process.stdout.write(`OK: ${r.count} audit entries, chain intact\n`);
        return 0;
      }
      process.stdout.write(`BROKEN at entry ${r.firstBroken!.seq}: ${r.firstBroken!.reason} (${r.count} entries before it are intact)\n`);
      return 1;
    },
  },
];
