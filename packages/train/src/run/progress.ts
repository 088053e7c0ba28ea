/**
 * A progress bar with ETA on stderr (cli-progress), shown only when that stream is a TTY. While it runs, terminal
 * log lines are routed through the bar (`MultiBar.log`) so they print above it instead of over it.
 */
import cliProgress from 'cli-progress';
import type { LogRoute } from './log-route.js';

export interface ProgressOptions {
  total: number;
  /** Shown before the bar, e.g. 'train'. */
  label?: string;
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: whether `stream` is a TTY. */
  enabled?: boolean;
  /** Log route to redirect through the bar while it is active. */
  route?: LogRoute;
  /** Redraws per second. Default 10. */
  fps?: number;
}

export interface Progress {
  /** Set the absolute position; `info` is free text after the ETA (e.g. "loss 0.412"). */
  update(value: number, info?: string): void;
  increment(by?: number, info?: string): void;
  /** Final redraw, release the terminal, restore log routing. Idempotent. */
  stop(): void;
}

const NOOP: Progress = { update() {}, increment() {}, stop() {} };

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!(opts.enabled ?? stream.isTTY === true)) return NOOP;
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format:
        '{label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} < ETA {eta_formatted} | {info}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: opts.fps ?? 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(opts.total, 0, { label: opts.label ?? '', info: '' });
  opts.route?.routeTo((line) => bars.log(line.endsWith('\n') ? line : `${line}\n`));
  let active = true;
  return {
    update(value, info) {
      if (active) bar.update(value, info === undefined ? {} : { info });
    },
    increment(by = 1, info) {
      if (active) bar.increment(by, info === undefined ? {} : { info });
    },
    stop() {
      if (!active) return;
      active = false;
      bars.update(); // flush log lines still buffered in the bar; stop() alone drops them
      bars.stop();
      opts.route?.restore();
    },
  };
}
