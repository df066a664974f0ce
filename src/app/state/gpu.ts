// GPU slice: the page's own device (adapter info, device loss) and the self-test.

import type { StateCreator } from 'zustand';
import type { Store } from './types';
import { Gpu, type DeviceLost, type GpuInfo } from '../../gpu/gpu';
import { GpuError } from '../../gpu/errors';
import { runSelfTest, type SelfTestResult } from '../../engine/selftest';
import type { WorkerRequest } from '../../worker/protocol';
import { onWorkerMessage, postToWorker } from '../worker-client';

type Status = 'idle' | 'running' | 'passed' | 'failed';

export interface GpuSlice extends SelfTestSlice {
  gpuStatus: 'detecting' | 'ready' | 'unavailable';
  gpu: Gpu | null;
  gpuInfo: GpuInfo | null;
  gpuError: string | null;
  deviceLost: DeviceLost | null;
  detectGpu: () => Promise<void>;
}

export interface SelfTestRun {
  status: Status;
  result: SelfTestResult | null;
  error: string | null;
}

export interface SelfTestSlice {
  pageTest: SelfTestRun;
  workerTest: SelfTestRun;
  runSelfTests: () => Promise<void>;
}

const idle: SelfTestRun = { status: 'idle', result: null, error: null };

export const gpuSlice: StateCreator<Store, [], [], GpuSlice> = (set, get) => ({
  gpuStatus: 'detecting',
  gpu: null,
  gpuInfo: null,
  gpuError: null,
  deviceLost: null,
  ...selfTestSlice(set, get),
  detectGpu: async () => {
    set({ gpuStatus: 'detecting', gpuError: null });
    try {
      const gpu = await Gpu.acquire({ gpu: navigator.gpu, where: 'browser' });
      gpu.onLost((info) => {
        if (get().gpu !== gpu) return;
        set({ deviceLost: info, gpu: null, gpuStatus: 'unavailable', gpuError: null });
        // A reset or crashed GPU process usually comes back: a new adapter and device, as WebGPU
        // intends, so a run can continue from its checkpoint without a reload. An explicit destroy
        // (page teardown) is final.
        if (info.reason !== 'destroyed') void get().detectGpu();
      });
      set({ gpu, gpuInfo: gpu.info, gpuStatus: 'ready' });
    } catch (error) {
      set({ gpuStatus: 'unavailable', gpuError: error instanceof GpuError ? error.message : String(error) });
    }
  },
});

function selfTestSlice(set: Parameters<StateCreator<Store>>[0], get: () => Store): SelfTestSlice {
  return {
    pageTest: idle,
    workerTest: idle,
    runSelfTests: async () => {
      const gpu = get().gpu;
      if (!gpu) return;
      set({ pageTest: { ...idle, status: 'running' }, workerTest: { ...idle, status: 'running' } });
      const page = runSelfTest(gpu).then(finished, failed);
      const worker = selfTestInWorker().then(finished, failed);
      set({ pageTest: await page });
      set({ workerTest: await worker });
    },
  };
}

function finished(result: SelfTestResult): SelfTestRun {
  return { status: result.passed ? 'passed' : 'failed', result, error: null };
}

function failed(error: unknown): SelfTestRun {
  return { status: 'failed', result: null, error: error instanceof Error ? error.message : String(error) };
}

function selfTestInWorker(): Promise<SelfTestResult> {
  return new Promise((resolve, reject) => {
    const off = onWorkerMessage((message) => {
      if (message.type === 'self-test') resolve(message.result);
      else if (message.type === 'error' && !message.runId) reject(new Error(message.message));
      else return;
      off();
    });
    postToWorker({ type: 'self-test' } satisfies WorkerRequest);
  });
}
