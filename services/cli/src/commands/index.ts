import type { CliCommand } from './types.js';
import { tokenCommands } from './token.js';
import { userCommands } from './user.js';
import { importCommands } from './import.js';
import { auditCommands } from './audit.js';
import { scanCommands } from './scan.js';
import { demoCommands } from './demo.js';

/** Every CLI command; add a group by adding a file and listing it here. */
export const COMMANDS: CliCommand[] = [...importCommands, ...tokenCommands, ...userCommands, ...auditCommands, ...scanCommands, ...demoCommands];

export function usage(): string {
  return ['usage: npm run atlas -- <command>', '', ...COMMANDS.map((c) => `  ${c.usage.padEnd(72)} ${c.summary}`), ''].join('\n');
}
