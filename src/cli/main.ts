// The headless entry point: `npm run -s gora -- <command>`.

import { acquireNodeGpu } from '../gpu/node';
import { GpuError } from '../gpu/errors';

const USAGE = `usage: npm run -s gora -- <command>

commands:
  info      print the GPU adapter, its features and limits as JSON`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'info') {
    const gpu = await acquireNodeGpu();
    console.log(JSON.stringify(gpu.info, null, 2));
    gpu.destroy();
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  console.error(`gora: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof GpuError && error.kind === 'unavailable') {
      console.error(`gora: ${error.message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
