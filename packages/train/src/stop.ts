/**
 * Ctrl-C and SIGTERM for a training process. The first signal asks the loop to stop after the step in flight and
 * write a checkpoint (the loop yields to the event loop once per step, so this is heard within a step). A second one
 * says that the stop is under way and what quitting now would lose; a third quits at once (exit 130) after saying
 * which steps are lost.
 *
 *   const stop = new GracefulStop();
 *   const uninstall = stop.install();
 *   await train(cfg, { signal: stop.signal, onStep: stop.onStep, onCheckpoint: stop.onCheckpoint });
 */
import type { StepRecord } from './trainer.js';

export interface GracefulStopOptions {
  /** Where the messages go (default stderr). */
  write?: (text: string) => void;
  /** How the third signal ends the process (default process.exit). */
  exit?: (code: number) => void;
}

export class GracefulStop {
  private readonly controller = new AbortController();
  private count = 0;
  /** Updates done (the last `onStep`), and the newest checkpoint written or resumed from. */
  private step = 0;
  private checkpoint: { path: string; step: number } | null = null;
  private readonly write: (text: string) => void;
  private readonly exit: (code: number) => void;

  constructor(opts: GracefulStopOptions = {}) {
    this.write = opts.write ?? ((t) => void process.stderr.write(t));
    this.exit = opts.exit ?? ((code) => process.exit(code));
  }

  /** Aborted at the first signal: pass it as `train(..., { signal })`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  readonly onStep = (rec: StepRecord): void => {
    this.step = rec.step + 1;
  };

  readonly onCheckpoint = (path: string, step: number): void => {
    this.checkpoint = { path, step };
    this.step = Math.max(this.step, step);
  };

  /** What quitting without the final checkpoint loses. */
  private lost(): string {
    const since = this.checkpoint?.step ?? 0;
    if (this.step <= since)
      return this.checkpoint
        ? `nothing is lost (the newest checkpoint, ${this.checkpoint.path}, is current)`
        : 'nothing is lost (no step is done yet)';
    const steps = since + 1 === this.step ? `step ${this.step}` : `steps ${since + 1}-${this.step}`;
    const kept = this.checkpoint
      ? `the newest checkpoint is ${this.checkpoint.path}`
      : 'there is no checkpoint yet';
    return `${steps} would be lost (${kept})`;
  }

  /** Handle one SIGINT/SIGTERM. */
  readonly handle = (sig: string): void => {
    this.count += 1;
    if (this.count === 1) {
      this.write(
        `\n${sig}: stopping after this step and writing a checkpoint (again: what quitting now loses)\n`,
      );
      this.controller.abort();
    } else if (this.count === 2) {
      this.write(
        `\n${sig} again: the stop is under way, finishing the step and saving its checkpoint; ` +
          `a third signal quits at once and ${this.lost()}\n`,
      );
    } else {
      this.write(
        `\n${sig}: quitting without the final checkpoint: ${this.lost().replace(' would be', ' are')}\n`,
      );
      this.exit(130);
    }
  };

  /** Listen to SIGINT and SIGTERM; returns the function that stops listening. */
  install(): () => void {
    process.on('SIGINT', this.handle).on('SIGTERM', this.handle);
    return () => void process.off('SIGINT', this.handle).off('SIGTERM', this.handle);
  }
}
