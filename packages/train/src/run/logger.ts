/**
 * The run logger (pino): JSON lines to `<run>/log.jsonl` always, and to the terminal either as lines for people (when
 * it is a TTY: time, level, message, then each field as key=value with numbers to 4 significant digits) or as plain
 * JSON lines (CI, pipes). Pretty printing uses pino-pretty as a synchronous stream, not a transport
 * worker: `logger.flush()` does not flush a transport's pretty output, and the progress bar needs the lines routed
 * in-process (docs/notes/logging.md).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import pretty from 'pino-pretty';
import { LogRoute } from './log-route.js';

export interface LoggerOptions {
  /** JSON-lines log file (created with its directory). Omit for terminal only. */
  file?: string;
  /** Minimum level. Default 'info'. */
  level?: pino.Level;
  /** Terminal stream. Default process.stdout. */
  terminal?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Pretty terminal output. Default: whether the terminal is a TTY. */
  pretty?: boolean;
  /** Colours in pretty output. Default: same as `pretty`. */
  colorize?: boolean;
  /** Logger name (shown in records). */
  name?: string;
}

export interface RunLogger {
  logger: pino.Logger;
  /** Where terminal lines go; a progress bar routes them through itself while active. */
  route: LogRoute;
  /** Flush and close the log file. */
  close: () => void;
}

export function createLogger(opts: LoggerOptions = {}): RunLogger {
  const terminal = opts.terminal ?? process.stdout;
  const level = opts.level ?? 'info';
  const route = new LogRoute(terminal);
  const usePretty = opts.pretty ?? terminal.isTTY === true;
  const termStream = usePretty
    ? pretty({
        sync: true,
        destination: route,
        colorize: opts.colorize ?? usePretty,
        singleLine: true, // multi-line records leave fragments on a progress-bar line
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
        hideObject: true, // the fields follow the message as key=value, numbers rounded (humanFields)
        messageFormat: (log, key) =>
          `${typeof log[key] === 'string' ? log[key] : ''}${humanFields(log, key)}`,
      })
    : route;
  const streams: pino.StreamEntry[] = [{ level, stream: termStream }];
  let file: (pino.DestinationStream & { flushSync?: () => void; end?: () => void }) | undefined;
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    file = pino.destination({ dest: opts.file, sync: true, append: true });
    streams.push({ level, stream: file });
  }
  const logger = pino({ level, ...(opts.name ? { name: opts.name } : {}) }, pino.multistream(streams));
  return {
    logger,
    route,
    close: () => {
      file?.flushSync?.();
      file?.end?.();
    },
  };
}

/** A number for people: integers whole, others to 4 significant digits (0.123456789 -> 0.1235, 3e-4 -> 0.0003). */
export function humanNumber(v: number): string {
  return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(4)));
}

const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name']);

/** A record's fields after its message, ` key=value` each: numbers by humanNumber, objects as JSON (numbers rounded). */
function humanFields(log: Record<string, unknown>, messageKey: string): string {
  const round = (_: string, v: unknown) => (typeof v === 'number' ? Number(humanNumber(v)) : v);
  return Object.entries(log)
    .filter(([k]) => k !== messageKey && !HIDDEN.has(k))
    .map(([k, v]) => {
      const text =
        typeof v === 'number' ? humanNumber(v) : typeof v === 'string' ? v : JSON.stringify(v, round);
      return ` ${k}=${text}`;
    })
    .join('');
}
