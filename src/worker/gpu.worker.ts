// The Web Worker that owns a GPU device, so long GPU work never blocks the page: the self-test,
// fine-tuning runs and the playground's generation.

import { Gpu } from '../gpu/gpu';
import { GpuError } from '../gpu/errors';
import { runSelfTest } from '../engine/selftest';
import type { WorkerRequest, WorkerResponse } from './protocol';
import { WorkerRun } from './run';
import { answer, generateInWorker } from './generate';

let gpu: Promise<Gpu> | null = null;
let current: WorkerRun | null = null;

function post(message: WorkerResponse): void {
  self.postMessage(message);
}

async function device(): Promise<Gpu> {
  gpu ??= Gpu.acquire({ gpu: navigator.gpu, where: 'browser' });
  const acquired = await gpu.catch((error: unknown) => {
    gpu = null;
    throw error;
  });
  if (acquired.isLost) {
    gpu = null;
    return device();
  }
  return acquired;
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const message = event.data;
  try {
    switch (message.type) {
      case 'self-test': {
        const g = await device();
        post({ type: 'self-test', result: await runSelfTest(g), adapter: g.info.description || g.info.architecture });
        return;
      }
      case 'run': {
        // A run that has reported its end may still be tidying up (forgetting its checkpoint): the
        // next one (a comparison's) starts meanwhile.
        if (current && !current.settled) throw new Error('a run is already in progress');
        // Made before the device is awaited, so a stop sent right after the run request is not lost.
        const run = new WorkerRun(message, post);
        current = run;
        try {
          await run.run(await device());
        } finally {
          if (current === run) current = null;
        }
        return;
      }
      case 'generate': {
        if (current && !current.settled) {
          if (!message.live) throw new Error('a run holds the GPU: generate when it has finished');
          current.generate(message);
          return;
        }
        await answer(message, post, async () => generateInWorker(await device(), message, post));
        return;
      }
      case 'pause':
        return current?.pause();
      case 'resume':
        return current?.resume();
      case 'stop':
        return current?.stop();
      case 'allocation':
        return current?.continueWith(message.settings);
    }
  } catch (error) {
    post({ type: 'error', kind: error instanceof GpuError ? error.kind : 'unexpected', message: error instanceof Error ? error.message : String(error) });
  }
};
