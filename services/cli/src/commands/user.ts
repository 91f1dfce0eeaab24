import { AuthRepository } from '../../../core/src/graph/auth-repository.js';
import { isRole } from '../../../core/src/auth/roles.js';
import { randomPassword } from '../../../core/src/auth/secrets.js';
import { auditCli } from './cli-audit.js';
import type { CliCommand } from './types.js';

export const userCommands: CliCommand[] = [
  {
    group: 'user',
    name: 'create',
    summary: 'create a user; prints a generated password once, on the last line',
    usage: 'user create <username> --role <viewer|analyst|security|admin>',
    options: { role: { type: 'string' } },
    async run(ctx, o, args) {
      const role = String(o.role ?? '');
      if (!isRole(role)) throw new Error('--role must be one of viewer, analyst, security, admin');
      if (!args[0]) throw new Error('give the username');
      const pw = randomPassword();
      const repo = new AuthRepository(ctx.graph);
      await repo.createUser(args[0], pw, role);
      await auditCli(ctx.graph, { action: 'user.create', target: args[0], after: await repo.requireUser(args[0]) });
      process.stderr.write(`created user ${args[0]} (${role}); the password below is shown once\n`);
      process.stdout.write(`${pw}\n`);
      return 0;
    },
  },
  {
    group: 'user',
    name: 'list',
    summary: 'list users with role, MFA and lockout state',
    usage: 'user list',
    async run(ctx) {
      for (const u of await new AuthRepository(ctx.graph).listUsers()) {
        const state = [u.disabled ? 'DISABLED' : 'enabled', u.mfaEnabled ? 'mfa' : 'no-mfa', u.lockedUntil ? `LOCKED until ${u.lockedUntil}` : ''].filter(Boolean).join('  ');
        process.stdout.write(`${u.username.padEnd(20)} ${u.role.padEnd(8)}  ${state}  last sign-in ${u.lastLoginAt ?? 'never'}\n`);
      }
      return 0;
    },
  },
  {
    group: 'user',
    name: 'reset-password',
    summary: 'set a new generated password (clears lockout); prints it once, on the last line',
    usage: 'user reset-password <username>',
    async run(ctx, _o, args) {
      if (!args[0]) throw new Error('give the username');
      const pw = randomPassword();
      const u = await new AuthRepository(ctx.graph).setPassword(args[0], pw);
      await auditCli(ctx.graph, { action: 'user.password.reset', target: u.username });
      process.stderr.write(`password of ${u.username} reset; shown once below (sessions end when they next expire)\n`);
      process.stdout.write(`${pw}\n`);
      return 0;
    },
  },
  {
    group: 'user',
    name: 'reset-mfa',
    summary: 'remove MFA from a user (lost device); they enrol again at next sign-in',
    usage: 'user reset-mfa <username>',
    async run(ctx, _o, args) {
      if (!args[0]) throw new Error('give the username');
      const repo = new AuthRepository(ctx.graph);
      const before = await repo.requireUser(args[0]);
      const after = await repo.resetMfa(before.id);
      await auditCli(ctx.graph, { action: 'user.mfa.reset', target: after.username, before, after });
      process.stdout.write(`MFA of ${after.username} removed\n`);
      return 0;
    },
  },
  {
    group: 'user',
    name: 'unlock',
    summary: 'clear a lockout after failed sign-ins',
    usage: 'user unlock <username>',
    async run(ctx, _o, args) {
      if (!args[0]) throw new Error('give the username');
      const repo = new AuthRepository(ctx.graph);
      const before = await repo.requireUser(args[0]);
      const after = await repo.unlockUser(before.id);
      await auditCli(ctx.graph, { action: 'user.unlock', target: after.username, before, after });
      process.stdout.write(`${after.username} unlocked\n`);
      return 0;
    },
  },
];
