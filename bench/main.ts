// `npm run bench`: the Node entry of the benchmark. Only what needs Node lives here (flags, the
// file system, Dawn); bench/core/ runs unchanged in the page (src/app/bench/).

import { join } from 'node:path';
import { acquireNodeGpu } from '../src/gpu/node';
import { nodeModelFiles } from '../src/model/node-files';
import { BENCH_USAGE, BenchUsageError, parseBenchArgs } from './core/args';
import { loadEmbeddedModel, randomModel } from './core/model';
import { formatReport } from './core/report';
import { runBench } from './core/run';
import { startTfjs } from './core/start-tfjs';
import { sizeSetup } from './core/sizes';

const EMBEDDED_MODEL = join(import.meta.dirname, '..', 'public', 'models', 'gora-tiny');

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`${error.message}\n\n${BENCH_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const log = (line: string) => console.error(`[bench] ${line}`);
  const gpu = await acquireNodeGpu();
  log(`adapter: ${gpu.info.description || gpu.info.device} (${gpu.info.vendor}, ${gpu.info.architecture}${gpu.info.isFallbackAdapter ? ', fallback' : ''})`);
  const setup = sizeSetup(args.size);
  log(`model: ${args.size}`);
  const model = setup.weights === 'embedded' ? await loadEmbeddedModel(setup, await nodeModelFiles(EMBEDDED_MODEL)) : randomModel(setup);
  const tfjs = await startTfjs(gpu);
  const result = await runBench({ gpu, model, runtime: 'node', tfjs, options: args.options, log });
  console.log(formatReport(result));
  if (args.json) console.log(JSON.stringify(result));
  gpu.destroy();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
