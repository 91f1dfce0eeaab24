import { removeDemoData } from '../../../core/src/graph/maintenance-repository.js';
import type { CliCommand } from './types.js';

export const demoCommands: CliCommand[] = [
  {
    group: 'demo',
    name: 'remove',
    summary: 'remove the demo network (every node marked demo); start with ATLAS_DEMO=0 so it is not seeded again',
    usage: 'demo remove',
    async run(ctx) {
      const r = await removeDemoData(ctx.graph);
      process.stdout.write(`removed ${r.assets} demo assets and ${r.other} other demo records\n`);
      return 0;
    },
  },
];
