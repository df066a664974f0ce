// The app's one store, made of typed slices; actions live in the store, components select single fields.

import { create, type StateCreator } from 'zustand';
import { Gpu, type DeviceLost, type GpuInfo } from '../gpu/gpu';
import { GpuError } from '../gpu/errors';
import { runSelfTest, type SelfTestResult } from '../engine/selftest';
import type { WorkerRequest, WorkerResponse } from '../worker/protocol';

type Status = 'idle' | 'running' | 'passed' | 'failed';

export interface GpuSlice {
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

export type Store = GpuSlice & SelfTestSlice;

const idle: SelfTestRun = { status: 'idle', result: null, error: null };

const gpuSlice: StateCreator<Store, [], [], GpuSlice> = (set, get) => ({
  gpuStatus: 'detecting',
  gpu: null,
  gpuInfo: null,
  gpuError: null,
  deviceLost: null,
  detectGpu: async () => {
    set({ gpuStatus: 'detecting', gpuError: null, deviceLost: null });
    try {
      const gpu = await Gpu.acquire({ gpu: navigator.gpu, where: 'browser' });
      gpu.onLost((info) => {
        if (get().gpu === gpu) set({ deviceLost: info, gpu: null, gpuStatus: 'unavailable', gpuError: null });
      });
      set({ gpu, gpuInfo: gpu.info, gpuStatus: 'ready' });
    } catch (error) {
      set({ gpuStatus: 'unavailable', gpuError: error instanceof GpuError ? error.message : String(error) });
    }
  },
});

const selfTestSlice: StateCreator<Store, [], [], SelfTestSlice> = (set, get) => ({
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
});

function finished(result: SelfTestResult): SelfTestRun {
  return { status: result.passed ? 'passed' : 'failed', result, error: null };
}

function failed(error: unknown): SelfTestRun {
  return { status: 'failed', result: null, error: error instanceof Error ? error.message : String(error) };
}

function selfTestInWorker(): Promise<SelfTestResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../worker/gpu.worker.ts', import.meta.url), { type: 'module' });
    const done = () => worker.terminate();
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      done();
      if (event.data.type === 'self-test') resolve(event.data.result);
      else reject(new Error(event.data.message));
    };
    worker.onerror = (event) => {
      done();
      reject(new Error(`The GPU worker failed to start: ${event.message || 'unknown error'}`));
    };
    worker.postMessage({ type: 'self-test' } satisfies WorkerRequest);
  });
}

export const useStore = create<Store>()((...a) => ({ ...gpuSlice(...a), ...selfTestSlice(...a) }));
