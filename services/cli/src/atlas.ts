import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../core/src/config.js';
import { AtlasError } from '../../core/src/errors.js';
import { connectForCli } from './connect.js';
import { COMMANDS, usage } from './commands/index.js';

/**
 * `npm run atlas -- <group> <command> [args]`: the operator CLI on the host.
 * Diagnostics go to stderr; a command that creates a secret prints it alone on stdout's last line.
 */
async function main(): Promise<number> {
  const [group, cmd, ...rest] = process.argv.slice(2);
  const command = COMMANDS.find((c) => c.group === group && c.name === cmd);
  if (!command) {
    process.stderr.write(usage());
    return group ? 2 : 0;
  }
  const { values, positionals } = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  const config = loadConfig();
  const ctx = await connectForCli(config);
  try {
    return await command.run({ ...ctx, config }, values as Record<string, string | boolean | undefined>, positionals);
  } finally {
    await ctx.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof AtlasError) process.stderr.write(`error ${err.code}: ${err.message}\n`);
    else process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
