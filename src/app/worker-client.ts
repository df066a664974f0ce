// The page's one GPU worker (one device for the self-test and every run), and its messages.

import type { WorkerRequest, WorkerResponse } from '../worker/protocol';

let worker: Worker | null = null;
const listeners = new Set<(message: WorkerResponse) => void>();

function instance(): Worker {
  if (!worker) {
    worker = new Worker(new URL('../worker/gpu.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => listeners.forEach((l) => l(event.data));
    worker.onerror = (event) => {
      const message = `The GPU worker failed: ${event.message || 'unknown error'}`;
      listeners.forEach((l) => l({ type: 'error', kind: 'unexpected', message }));
      worker?.terminate();
      worker = null;
    };
  }
  return worker;
}

export function postToWorker(message: WorkerRequest): void {
  instance().postMessage(message);
}

export function onWorkerMessage(listener: (message: WorkerResponse) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
