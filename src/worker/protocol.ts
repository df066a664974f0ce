// Messages between the page and the GPU worker.

import type { SelfTestResult } from '../engine/selftest';
import type { GpuErrorKind } from '../gpu/errors';

export type WorkerRequest = { type: 'self-test' };

export type WorkerResponse =
  | { type: 'self-test'; result: SelfTestResult; adapter: string }
  | { type: 'error'; kind: GpuErrorKind | 'unexpected'; message: string };
