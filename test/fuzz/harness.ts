// The contract every fuzz target checks: untrusted input either succeeds or throws the module's own
// error type, and does either quickly. Anything else (a TypeError from deep inside, a stack
// overflow, a slow path that grows with a length the input claims) is a defect.

export type ErrorClass = abstract new (...args: never[]) => Error;

/** Generated inputs per target. */
export const RUNS = 10_000;

/** Each single input must be decided within this, on a loaded 2-core machine. */
export const PER_INPUT_MS = 1000;

/** What one target saw, and the per-input check that fails the property on anything untyped or slow. */
export class Tally {
  accepted = 0;
  refused = 0;

  constructor(
    readonly target: string,
    private readonly typed: readonly ErrorClass[],
  ) {}

  get total(): number {
    return this.accepted + this.refused;
  }

  /** Runs one input of an async target; throws (failing the property, cause in the message) on a defect. */
  async check(run: () => Promise<unknown>): Promise<void> {
    const start = performance.now();
    let error: unknown = null;
    try {
      await run();
    } catch (caught) {
      error = caught;
    }
    this.settle(error, performance.now() - start);
  }

  /** The same for a synchronous target. */
  checkSync(run: () => unknown): void {
    const start = performance.now();
    let error: unknown = null;
    try {
      run();
    } catch (caught) {
      error = caught;
    }
    this.settle(error, performance.now() - start);
  }

  /** The line printed after a property passes. */
  report(): string {
    return `${this.target}: ${this.total} malformed inputs, all typed errors or accepted (${this.refused} typed errors, ${this.accepted} accepted)`;
  }

  private settle(error: unknown, elapsed: number): void {
    if (elapsed > PER_INPUT_MS) throw new Error(`${this.target}: one input took ${elapsed.toFixed(0)} ms (limit ${PER_INPUT_MS} ms)`);
    if (error === null) {
      this.accepted++;
      return;
    }
    // A typed error must also say something: an empty message helps no user.
    if (this.typed.some((type) => error instanceof type) && (error as Error).message.length > 0) {
      this.refused++;
      return;
    }
    const described = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    throw new Error(`${this.target}: untyped failure ${described.slice(0, 2000)}`);
  }
}
