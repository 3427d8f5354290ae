import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../server/engine/clock';

describe('the virtual clock', () => {
  it('fires timers in time order, creation order on ties, and skips cleared ones', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a1'));
    clock.setTimer(10, () => fired.push('a2'));
    const gone = clock.setTimer(15, () => fired.push('never'));
    clock.clearTimer(gone);
    await clock.advance(100);
    expect(fired).toEqual(['a1', 'a2', 'b']);
    expect(clock.now()).toBe(100);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('settles after every timer by default, and once per instant when asked', async () => {
    for (const settleEach of ['timer', 'instant'] as const) {
      const clock = new VirtualClock(0);
      const log: string[] = [];
      clock.setTimer(10, () => log.push('a'));
      clock.setTimer(10, () => log.push('b'));
      clock.setTimer(20, () => log.push('c'));
      await clock.advance(30, async () => void log.push('settle'), { settleEach });
      expect(log).toEqual(
        settleEach === 'timer'
          ? ['settle', 'a', 'settle', 'b', 'settle', 'c', 'settle']
          : ['settle', 'a', 'b', 'settle', 'c', 'settle'],
      );
    }
  });

  it('fires a timer set during settling at the current instant before time moves on', async () => {
    const clock = new VirtualClock(0);
    const at: number[] = [];
    let armed = false;
    clock.setTimer(10, () => at.push(clock.now()));
    await clock.advance(50, async () => {
      if (armed || clock.now() !== 10) return;
      armed = true;
      clock.setTimer(0, () => at.push(clock.now()));
    });
    expect(at).toEqual([10, 10]);
  });
});

describe('clock.every', () => {
  it('calls back once per interval until stopped', async () => {
    const clock = new VirtualClock(0);
    const at: number[] = [];
    const ticking = clock.every(10, () => at.push(clock.now()));
    await clock.advance(35);
    ticking.stop();
    await clock.advance(100);
    expect(at).toEqual([10, 20, 30]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps its schedule when a tick throws', async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    clock.every(10, () => {
      calls++;
      if (calls === 1) throw new Error('a failing sample');
    });
    await expect(clock.advance(10)).rejects.toThrow('a failing sample');
    await clock.advance(20);
    expect(calls).toBe(3);
  });

  it('stops from inside its own tick', async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const ticking = clock.every(10, () => {
      if (++calls === 2) ticking.stop();
    });
    await clock.advance(100);
    expect(calls).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});
