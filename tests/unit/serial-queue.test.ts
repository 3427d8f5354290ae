import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue, SerialQueue } from '../../server/engine/serial-queue';

/** A task the test finishes by hand. */
function held<T = void>() {
  let release!: (value: T) => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  return { task: () => promise, release, fail };
}

describe('SerialQueue', () => {
  it('runs tasks one at a time in the order they were queued', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const first = held();
    const a = queue.run(async () => {
      log.push('a starts');
      await first.task();
      log.push('a ends');
    });
    const b = queue.run(async () => void log.push('b runs'));
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['a starts']);
    expect(queue.backlog).toBe(2);
    first.release();
    await Promise.all([a, b]);
    expect(log).toEqual(['a starts', 'a ends', 'b runs']);
    expect(queue.backlog).toBe(0);
  });

  it('reports a failed task to its caller and onError, and still runs the ones behind it', async () => {
    const errors: unknown[] = [];
    const queue = new SerialQueue((err) => errors.push(err));
    const failing = queue.run(() => Promise.reject(new Error('disk full')));
    const next = queue.run(async () => 'written');
    await expect(failing).rejects.toThrow('disk full');
    expect(await next).toBe('written');
    expect(queue.failures).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('does not raise an unhandled rejection for a dropped failing task', async () => {
    const queue = new SerialQueue();
    let unhandled = 0;
    const count = () => unhandled++;
    process.on('unhandledRejection', count);
    try {
      void queue.run(() => Promise.reject(new Error('ignored by its caller')));
      await queue.drain();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toBe(0);
      expect(queue.failures).toBe(1);
    } finally {
      process.off('unhandledRejection', count);
    }
  });

  it('lets an aborted waiter leave at once while the task behind it still waits for the one ahead', async () => {
    const queue = new SerialQueue();
    const first = held();
    const log: string[] = [];
    const a = queue.run(async () => {
      await first.task();
      log.push('a');
    });
    const controller = new AbortController();
    const b = queue.run(async () => void log.push('b'), controller.signal);
    const c = queue.run(async () => void log.push('c'));
    controller.abort();
    await expect(b).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual([]);
    first.release();
    await Promise.all([a, c]);
    expect(log).toEqual(['a', 'c']);
  });

  it('flushes only what was queued before the call, not what comes after', async () => {
    const queue = new SerialQueue();
    const later = held();
    void queue.run(async () => {});
    const flushed = queue.flushed();
    void queue.run(later.task);
    await flushed; // resolves although the later task is still held
    expect(queue.backlog).toBe(1);
    later.release();
    await queue.drain();
  });

  it('drains tasks queued while draining', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    void queue.run(async () => {
      log.push('a');
      void queue.run(async () => void log.push('queued by a'));
    });
    await queue.drain();
    expect(log).toEqual(['a', 'queued by a']);
  });
});

describe('KeyedSerialQueue', () => {
  it('serialises tasks of one key, runs other keys alongside, and forgets idle keys', async () => {
    const queue = new KeyedSerialQueue();
    const repoA = held();
    const log: string[] = [];
    const a1 = queue.run('a', async () => {
      await repoA.task();
      log.push('a1');
    });
    const a2 = queue.run('a', async () => void log.push('a2'));
    const b1 = queue.run('b', async () => void log.push('b1'));
    await b1;
    expect(log).toEqual(['b1']);
    expect(queue.keys()).toEqual(['a']);
    repoA.release();
    await Promise.all([a1, a2]);
    await queue.drain();
    expect(log).toEqual(['b1', 'a1', 'a2']);
    expect(queue.keys()).toEqual([]);
  });
});
