import { AuthRepository } from '../../../core/src/graph/auth-repository.js';
import { isRole } from '../../../core/src/auth/roles.js';
import { auditCli } from './cli-audit.js';
import type { CliCommand } from './types.js';

export const tokenCommands: CliCommand[] = [
  {
    group: 'token',
    name: 'create',
    summary: 'create an API token; prints it once, on the last line',
    usage: 'token create --role <viewer|analyst|security|admin> --name <name> [--expires-days N]',
    options: { role: { type: 'string' }, name: { type: 'string' }, 'expires-days': { type: 'string' } },
    async run(ctx, o) {
      const role = String(o.role ?? '');
      if (!isRole(role)) throw new Error('--role must be one of viewer, analyst, security, admin');
      if (!o.name || typeof o.name !== 'string' || o.name.length > 100) throw new Error('--name is required (at most 100 characters)');
      const days = o['expires-days'] === undefined ? 90 : Number(o['expires-days']);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('--expires-days must be a whole number of days from 1 to 3650');
      const { token, info } = await new AuthRepository(ctx.graph).createToken(o.name, role, days, 'cli');
      await auditCli(ctx.graph, { action: 'token.create', target: info.prefix, after: info });
      process.stderr.write(`created token ${info.prefix}… (${info.role}, expires ${info.expiresAt})\n`);
      process.stdout.write(`${token}\n`);
      return 0;
    },
  },
  {
    group: 'token',
    name: 'list',
    summary: 'list API tokens (prefixes only)',
    usage: 'token list',
    async run(ctx) {
      for (const t of await new AuthRepository(ctx.graph).listTokens()) {
        process.stdout.write(`${t.prefix}  ${t.role.padEnd(8)}  ${t.name}  expires ${t.expiresAt ?? 'never'}  ${t.revokedAt ? 'REVOKED' : 'active'}  last used ${t.lastUsedAt ?? 'never'}\n`);
      }
      return 0;
    },
  },
  {
    group: 'token',
    name: 'revoke',
    summary: 'revoke an API token by id or prefix',
    usage: 'token revoke <id|prefix>',
    async run(ctx, _o, args) {
      if (!args[0]) throw new Error('give the token id or prefix');
      const t = await new AuthRepository(ctx.graph).revokeToken(args[0]);
      await auditCli(ctx.graph, { action: 'token.revoke', target: t.prefix, after: t });
      process.stdout.write(`revoked ${t.prefix} (${t.name})\n`);
      return 0;
    },
  },
];
