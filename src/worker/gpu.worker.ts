// The Web Worker that owns a GPU device, so long GPU work never blocks the page.

import { Gpu } from '../gpu/gpu';
import { GpuError } from '../gpu/errors';
import { runSelfTest } from '../engine/selftest';
import type { WorkerRequest, WorkerResponse } from './protocol';

let gpu: Promise<Gpu> | null = null;

function post(message: WorkerResponse): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  try {
    gpu ??= Gpu.acquire({ gpu: navigator.gpu, where: 'browser' });
    const device = await gpu;
    if (event.data.type === 'self-test') {
      const result = await runSelfTest(device);
      post({ type: 'self-test', result, adapter: device.info.description || device.info.architecture });
    }
  } catch (error) {
    if (error instanceof GpuError) {
      if (error.kind === 'unavailable' || error.kind === 'device-lost') gpu = null;
      post({ type: 'error', kind: error.kind, message: error.message });
    } else post({ type: 'error', kind: 'unexpected', message: String(error) });
  }
};
