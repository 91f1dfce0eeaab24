import { AuthRepository } from '../../../core/src/graph/auth-repository.js';
import { isRole } from '../../../core/src/auth/roles.js';
import { randomPassword } from '../../../core/src/auth/secrets.js';
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
      await new AuthRepository(ctx.graph).createUser(args[0], pw, role);
      process.stderr.write(`created user ${args[0]} (${role}); the password below is shown once\n`);
      process.stdout.write(`${pw}\n`);
      return 0;
    },
  },
  {
    group: 'user',
    name: 'reset-password',
    summary: 'set a new generated password; prints it once, on the last line',
    usage: 'user reset-password <username>',
    async run(ctx, _o, args) {
      if (!args[0]) throw new Error('give the username');
      const pw = randomPassword();
      await new AuthRepository(ctx.graph).setPassword(args[0], pw);
      process.stderr.write(`password of ${args[0]} reset; shown once below\n`);
      process.stdout.write(`${pw}\n`);
      return 0;
    },
  },
];
