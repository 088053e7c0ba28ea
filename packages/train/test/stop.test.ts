/**
 * GracefulStop, the SIGINT/SIGTERM handler of `vtx train`: the first signal aborts once and says a checkpoint comes;
 * the second says the stop is under way and which steps quitting would lose; only the third exits (130), after
 * saying what is lost. (A real signal to a real process: faults/signals.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { GracefulStop, type StepRecord } from '@vtx/train';

const step = (n: number) => ({ step: n - 1 }) as StepRecord; // the record of update n

function harness() {
  const said: string[] = [];
  const exits: number[] = [];
  const stop = new GracefulStop({ write: (t) => void said.push(t.trim()), exit: (c) => void exits.push(c) });
  return { stop, said, exits };
}

describe('GracefulStop', () => {
  it('first signal: abort; second: the save is under way and what a third loses; third: exit 130', () => {
    const { stop, said, exits } = harness();
    stop.onCheckpoint('runs/a/checkpoints/step-000010', 10);
    for (let n = 11; n <= 14; n++) stop.onStep(step(n));
    expect(stop.signal.aborted).toBe(false);

    stop.handle('SIGINT');
    expect(stop.signal.aborted).toBe(true);
    expect(said[0]).toMatch(/^SIGINT: stopping after this step and writing a checkpoint/);
    expect(exits).toEqual([]);

    stop.handle('SIGINT');
    expect(said[1]).toMatch(
      /^SIGINT again: the stop is under way, finishing the step and saving its checkpoint/,
    );
    expect(said[1]).toContain(
      'steps 11-14 would be lost (the newest checkpoint is runs/a/checkpoints/step-000010)',
    );
    expect(exits).toEqual([]); // the second signal never quits

    stop.handle('SIGTERM');
    expect(said[2]).toMatch(/^SIGTERM: quitting without the final checkpoint: steps 11-14 are lost/);
    expect(exits).toEqual([130]);
  });

  it('names one step, no checkpoint yet, or nothing lost', () => {
    const a = harness();
    a.stop.onStep(step(1));
    a.stop.handle('SIGINT');
    a.stop.handle('SIGINT');
    expect(a.said[1]).toContain('step 1 would be lost (there is no checkpoint yet)');

    const b = harness();
    b.stop.onStep(step(5));
    b.stop.onCheckpoint('c/step-000005', 5);
    b.stop.handle('SIGINT');
    b.stop.handle('SIGINT');
    expect(b.said[1]).toContain('nothing is lost (the newest checkpoint, c/step-000005, is current)');
  });
});
