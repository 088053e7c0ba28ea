import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createProgress } from '../../src/run/index.js';
import { MetricsWriter, readMetrics } from '@vtx/runs';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'vtx-run-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** A terminal stand-in that records what is written. */
class Capture extends Writable {
  text = '';
  columns = 100;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

describe('metrics.jsonl', () => {
  it('appends one JSON line per record and reads them back, non-finite numbers included', async () => {
    const path = join(dir, 'm1', 'metrics.jsonl');
    const w = await MetricsWriter.open(path);
    w.append({ step: 1, loss: 0.5, lr: 1e-4 });
    w.append({ step: 2, loss: NaN, gradNorm: Infinity, phase: 'train' });
    const lines = (await fs.readFile(path, 'utf8')).split('\n');
    expect(lines).toEqual([
      '{"step":1,"loss":0.5,"lr":0.0001}',
      '{"step":2,"loss":"NaN","gradNorm":"Infinity","phase":"train"}',
      '',
    ]);
    w.close();
    const back = await readMetrics(path);
    expect(back[0]).toEqual({ step: 1, loss: 0.5, lr: 1e-4 });
    expect(back[1]!.loss).toBeNaN();
    expect(back[1]!.gradNorm).toBe(Infinity);
  });

  it('skips a torn last line, rejects a bad middle line, drops steps past a resume point', async () => {
    const path = join(dir, 'metrics2.jsonl');
    await fs.writeFile(path, '{"step":1}\n{"step":2}\n{"step":3}\n{"step":4,"lo');
    expect((await readMetrics(path)).map((r) => r.step)).toEqual([1, 2, 3]);
    const w = await MetricsWriter.open(path, { dropAfterStep: 2 });
    w.append({ step: 3, resumed: true });
    w.close();
    expect(await readMetrics(path)).toEqual([{ step: 1 }, { step: 2 }, { step: 3, resumed: true }]);
    await fs.writeFile(path, '{"step":1}\nnot json\n{"step":3}\n');
    await expect(readMetrics(path)).rejects.toThrow(/metrics2\.jsonl:2: not a JSON record/);
  });
});

describe('logger', () => {
  it('writes JSON lines to the file and pretty lines to a TTY', () => {
    const file = join(dir, 'logs', 'train.log');
    const tty = new Capture(true);
    const { logger, close } = createLogger({ file, terminal: tty, colorize: false });
    logger.info({ step: 3, loss: 0.123456789, clip: [4, 16, 16, 3] }, 'step done');
    logger.debug('hidden at info');
    close();
    // a line for people: the fields as key=value, numbers to 4 significant digits, no JSON record
    expect(tty.text).toMatch(/INFO.*: step done step=3 loss=0\.1235 clip=\[4,16,16,3\]\s*$/);
    expect(tty.text).not.toMatch(/"step"|\{/);
    expect(tty.text.trim().split('\n')).toHaveLength(1);
    return fs.readFile(file, 'utf8').then((text) => {
      const rec = JSON.parse(text.trim()) as Record<string, unknown>;
      expect(rec).toMatchObject({ level: 30, msg: 'step done', step: 3, loss: 0.123456789 }); // every digit
    });
  });

  it('writes plain JSON lines to a non-TTY terminal', () => {
    const pipe = new Capture(false);
    const { logger } = createLogger({ terminal: pipe });
    logger.warn({ step: 1 }, 'careful');
    expect(JSON.parse(pipe.text.trim())).toMatchObject({ level: 40, msg: 'careful', step: 1 });
  });
});

describe('progress bar', () => {
  it('draws on a TTY with ETA and routes log lines through the bar while active', async () => {
    const tty = new Capture(true);
    const logTty = new Capture(true);
    const { logger, route } = createLogger({ terminal: logTty, colorize: false });
    const bar = createProgress({ total: 10, label: 'train', stream: tty, route, fps: 50 });
    bar.update(4, 'loss 0.5');
    logger.info('while the bar runs');
    expect(logTty.text).toBe(''); // not written over the bar
    await new Promise((r) => setTimeout(r, 60));
    bar.increment(6);
    bar.stop();
    bar.stop();
    expect(tty.text).toContain('while the bar runs');
    expect(tty.text).toMatch(/train \[.*\] 100% \| 10\/10 \|.*ETA/);
    logger.info('after the bar');
    expect(logTty.text).toMatch(/after the bar/);
  });

  it('is silent when the stream is not a TTY and leaves logging alone', () => {
    const pipe = new Capture(false);
    const logs = new Capture(false);
    const { logger, route } = createLogger({ terminal: logs });
    const bar = createProgress({ total: 5, stream: pipe, route });
    bar.update(3);
    logger.info('straight through');
    bar.stop();
    expect(pipe.text).toBe('');
    expect(logs.text).toMatch(/straight through/);
  });
});
