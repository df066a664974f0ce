// Messages between the page and the GPU worker.

import type { SelfTestResult } from '../engine/selftest';
import type { GpuErrorKind } from '../gpu/errors';
import type { AllocationSettings } from '../gora/allocate';
import type { JobConfig } from '../train/config';
import type { JobEvent } from '../train/events';
import type { DataSource, ModelSource } from '../app/sources';
import type { PrepareOptions } from '../data/prepare';

export interface RunRequest {
  type: 'run';
  runId: string;
  model: ModelSource;
  data: DataSource;
  dataOptions: Pick<PrepareOptions, 'format' | 'columns' | 'packing'>;
  config: JobConfig;
  /** Stop after the allocation and wait for `allocation` (GoRA), so ranks can be tuned first. */
  reviewAllocation: boolean;
  /** Continue from the checkpoint kept in the browser under this runId. */
  resume?: boolean;
  /**
   * false: keep nothing in the browser (no checkpoint, not offered for resuming after a reload), as
   * for the runs of a comparison, which are only ever repeated whole. Default true.
   */
  keep?: boolean;
}

/** The playground: the loaded model's continuation of a prompt, as it is and with an adapter. */
export interface GenerateRequest {
  type: 'generate';
  requestId: string;
  model: ModelSource;
  prompt: string;
  /** adapter_model.safetensors and adapter_config.json; null: the base model only. */
  adapter: Record<string, Uint8Array> | null;
  settings: GenerationSettings;
  /**
   * Asked during a run: the run's own model generates between its training steps, as it is and as
   * trained so far (`adapter` is not used). A run that ends first answers with its final adapter.
   */
  live?: boolean;
}

export interface GenerationSettings {
  /** The prompt as a user message in the model's chat template (for models that have one). */
  chat: boolean;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export type WorkerRequest =
  | { type: 'self-test' }
  | RunRequest
  | GenerateRequest
  | { type: 'allocation'; settings: AllocationSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

export interface RunSummary {
  /** Every file of the run directory (adapter, report, manifest). */
  files: Record<string, Uint8Array>;
}

export type WorkerResponse =
  | { type: 'self-test'; result: SelfTestResult; adapter: string }
  | { type: 'event'; runId: string; event: JobEvent }
  | { type: 'memory'; runId: string; bytes: number; peak: number }
  | { type: 'awaiting-allocation'; runId: string }
  | { type: 'paused'; runId: string; paused: boolean }
  | { type: 'done'; runId: string; summary: RunSummary }
  | { type: 'stopped'; runId: string }
  /** The playground's text so far from one side (base or adapted), and at the end (done). */
  | { type: 'generated'; requestId: string; which: 'base' | 'adapted'; text: string; tokens: number; tokensPerSecond: number; done: boolean }
  | { type: 'generate-error'; requestId: string; message: string }
  /** 'numerical': a NaN or infinite loss or gradient stopped the run (the message names the step). */
  | { type: 'error'; runId?: string; kind: GpuErrorKind | 'data' | 'model' | 'numerical' | 'unexpected'; message: string };
