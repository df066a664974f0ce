// One run inside the worker: opens the model and the data, runs the job, and answers pause,
// resume, stop and the allocation review.

import type { Gpu } from '../gpu/gpu';
import { GpuError } from '../gpu/errors';
import { DataError } from '../data/errors';
import { prepareDataset } from '../data/prepare';
import { ModelFormatError } from '../model/errors';
import { openAnyModel } from '../model/open';
import { modelKind, planForDevice } from '../train/model-kinds';
import type { AllocationSettings } from '../gora/allocate';
import { exportRunFiles } from '../export/run-files';
import { baseModelName } from '../export/base-model';
import { JobStopped, NumericalFault, runJob } from '../train/job';
import { openModelFiles, readDataSource } from '../app/sources';
import { forgetRun, rememberRun, saveRunCheckpoint, savedCheckpoint } from '../app/saved-runs';
import { readCheckpoint } from '../train/checkpoint';
import { deviceBudget, RunDoesNotFit } from '../train/memory-plan';
import type { JobEvent } from '../train/events';
import type { GenerateRequest, RunRequest, WorkerResponse } from './protocol';
import type { LiveModel } from '../train/live-model';
import type { AnyOpenedModel } from '../model/open';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../export/peft';
import { answer, generateInWorker, generateLive } from './generate';

export class WorkerRun {
  private paused: { promise: Promise<void>; resume: () => void } | null = null;
  /** The playground's requests during the run, served between steps with the model as trained so far. */
  private readonly generations: GenerateRequest[] = [];
  private live: { model: LiveModel; opened: AnyOpenedModel } | null = null;
  /** Wakes a paused run to serve a request that has just come. */
  private wake: (() => void) | null = null;
  private stopped = false;
  private review: ((settings: AllocationSettings) => void) | null = null;
  /** True once the run has said how it ended (done, stopped, error): the next run may start while it tidies up. */
  settled = false;

  constructor(
    private readonly request: RunRequest,
    private readonly post: (message: WorkerResponse) => void,
  ) {}

  pause(): void {
    if (this.paused || this.stopped) return;
    let resume = () => {};
    const promise = new Promise<void>((r) => (resume = r));
    this.paused = { promise, resume };
  }

  resume(): void {
    this.paused?.resume();
    this.paused = null;
    this.post({ type: 'paused', runId: this.request.runId, paused: false });
  }

  stop(): void {
    this.stopped = true;
    this.paused?.resume();
    this.review?.({ rankRef: 0, rankMin: 0, rankMax: 0, features: 'id' });
  }

  /** Queues a playground request for the next step boundary (or at once while paused). */
  generate(request: GenerateRequest): void {
    this.generations.push(request);
    this.wake?.();
  }

  continueWith(settings: AllocationSettings): void {
    this.review?.(settings);
    this.review = null;
  }

  async run(gpu: Gpu): Promise<void> {
    const { runId } = this.request;
    const emit = (event: JobEvent) => this.post({ type: 'event', runId, event });
    try {
      const files = await openModelFiles(this.request.model, (p) =>
        emit({ type: 'progress', phase: 'load', done: p.bytes, total: p.totalBytes ?? 0, detail: `${p.fromCache ? 'cached' : 'downloading'} ${p.file}` }),
      );
      const model = await openAnyModel(files);
      const kind = modelKind(model);
      if (!model.tokenizer) throw new ModelFormatError('tokenizer.json', 'is missing: the model folder needs its tokenizer');
      const { text, fileName } = await readDataSource(this.request.data, runId);
      // The micro-batch that fits this device (a resumed run plans the same on the same GPU).
      const { config, description } = planForDevice(model, this.request.config, deviceBudget(gpu.info.limits));
      emit({ type: 'log', message: description });
      const seq2seq = kind.seq2seq(model) ?? undefined;
      const data = prepareDataset(text, fileName, model.tokenizer, { ...this.request.dataOptions, seqLen: config.seqLen, batchSize: config.batchSize, seed: config.seed, valFraction: config.valFraction, separator: config.separator, seq2seq });
      const kept = this.request.resume || (this.request.keep !== false && (await this.remember(text, fileName, emit)));
      const saved = this.request.resume ? await savedCheckpoint(runId) : null;
      if (this.request.resume && !saved) throw new Error('the checkpoint of this run is no longer stored in the browser');
      const resume = saved ? await readCheckpoint(saved) : undefined;
      // Steps before the checkpoint, replayed so the loss curve is whole.
      for (const s of resume?.steps ?? []) emit({ type: 'step', step: s.step + 1, of: config.steps, loss: s.loss, lr: s.lr, tokensPerSecond: 0, elapsed: 0, remaining: 0 });
      // The peak of this run alone: the device (and what the self-test or an earlier run left) stays.
      gpu.peakBytes = gpu.allocatedBytes;
      const postMemory = () => this.post({ type: 'memory', runId, bytes: gpu.allocatedBytes, peak: gpu.peakBytes });
      const memory = setInterval(postMemory, 500);
      try {
        const result = await runJob({
          gpu,
          model,
          data,
          config,
          emit,
          control: {
            checkpoint: () => this.checkpoint(),
            interrupted: () => this.paused !== null || this.stopped,
            between: (live) => {
              this.live = { model: live, opened: model };
              return this.serveGenerations();
            },
          },
          reviewAllocation: this.request.reviewAllocation && !resume ? () => this.awaitReview() : undefined,
          resume,
          saveCheckpoint: kept ? (files) => saveRunCheckpoint(runId, files) : undefined,
        });
        // The job's own 'memory' event carries the run's peak: no sample after it (the device is
        // nearly empty by now).
        const source = this.request.model;
        const base = baseModelName(model.config, source.kind === 'hub' ? source.id : source.name, source.kind === 'hub' ? source.id : null);
        const out = exportRunFiles(emit, result, model, data, base);
        this.finish({ type: 'done', runId, summary: { files: Object.fromEntries(out) } });
        await this.answerAfterRun(gpu, out.has(ADAPTER_WEIGHTS) ? { [ADAPTER_WEIGHTS]: out.get(ADAPTER_WEIGHTS)!, [ADAPTER_CONFIG]: out.get(ADAPTER_CONFIG)! } : null);
        if (kept) await forgetRun(runId);
      } finally {
        clearInterval(memory);
      }
    } catch (error) {
      // The outcome is already reported; a checkpoint that could not be forgotten is offered again
      // after a reload, where it can be discarded.
      if (this.settled) return;
      if (error instanceof JobStopped) this.finish({ type: 'stopped', runId });
      else this.finish({ type: 'error', runId, kind: errorKind(error), message: error instanceof Error ? error.message : String(error) });
      await this.answerAfterRun(gpu, null);
    }
  }

  private async serveGenerations(): Promise<void> {
    for (let request; this.live && (request = this.generations.shift()); ) {
      const { model, opened } = this.live;
      await answer(request, this.post, () => generateLive(model, opened, request, this.post));
    }
  }

  /** Requests the run did not reach a step boundary for: answered with its final adapter, or refused when it has none. */
  private async answerAfterRun(gpu: Gpu, adapter: Record<string, Uint8Array> | null): Promise<void> {
    for (let request; (request = this.generations.shift()); ) {
      await answer(request, this.post, async () => {
        if (!adapter) throw new Error('the run ended without an adapter before its next step: generate again');
        await generateInWorker(gpu, { ...request, adapter, live: false }, this.post);
      });
    }
  }

  /**
   * Stores what the run needs to start again (saved-runs.ts); when it cannot be stored, the run goes
   * on unkept and the page says it cannot be resumed, through the event a failed checkpoint sends.
   */
  private async remember(text: string, fileName: string, emit: (event: JobEvent) => void): Promise<boolean> {
    const unkept = (error: string) => {
      emit({ type: 'checkpoint', step: 0, where: null, error });
      return false;
    };
    try {
      await rememberRun(this.request, text, fileName);
      return true;
    } catch (error) {
      return unkept(`the browser refused to store the run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private finish(message: WorkerResponse): void {
    this.settled = true;
    this.post(message);
  }

  private async checkpoint(): Promise<void> {
    if (this.paused) {
      // Said only now that the job is between steps and waiting, so the page never shows a step
      // completing while it reads "paused".
      this.post({ type: 'paused', runId: this.request.runId, paused: true });
      // A paused run still serves the playground.
      while (this.paused && !this.stopped) {
        await Promise.race([this.paused.promise, new Promise<void>((wake) => (this.wake = wake))]);
        this.wake = null;
        await this.serveGenerations();
      }
    }
    if (this.stopped) throw new JobStopped();
  }

  private awaitReview(): Promise<AllocationSettings> {
    this.post({ type: 'awaiting-allocation', runId: this.request.runId });
    return new Promise((resolve) => (this.review = resolve)).then(async (settings) => {
      await this.checkpoint();
      return settings as AllocationSettings;
    });
  }
}

/** The job's GPU errors keep their kind ('device-lost', 'out-of-memory', …); their message names the step and the last checkpoint. */
function errorKind(error: unknown): 'data' | 'model' | 'numerical' | 'unexpected' | GpuError['kind'] {
  if (error instanceof GpuError) return error.kind;
  if (error instanceof RunDoesNotFit) return 'out-of-memory';
  if (error instanceof NumericalFault) return 'numerical';
  if (error instanceof DataError) return 'data';
  if (error instanceof ModelFormatError) return 'model';
  return 'unexpected';
}
