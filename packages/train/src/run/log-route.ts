/**
 * A switchable terminal destination for log lines: normally it writes to the terminal stream, and while a progress
 * bar is active it hands each line to the bar (which prints it above itself) so the bar and the logs do not tear
 * each other apart. A real `stream.Writable`, because pino-pretty rejects plain objects as destinations.
 */
import { Writable } from 'node:stream';

export class LogRoute extends Writable {
  private target: ((line: string) => void) | null = null;

  constructor(readonly terminal: NodeJS.WritableStream) {
    super({ decodeStrings: false });
  }

  /** Send lines to `fn` instead of the terminal until `restore()`. */
  routeTo(fn: (line: string) => void): void {
    this.target = fn;
  }

  restore(): void {
    this.target = null;
  }

  override _write(chunk: unknown, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (this.target) this.target(text);
    else this.terminal.write(text);
    done();
  }
}
