import { describe, expect, it } from 'vitest';
import { batchedLoader } from './batched-loader.js';

function deferredLoads() {
  const calls: { keys: readonly string[]; finish(values?: Map<string, number>): void; fail(error: Error): void }[] = [];
  const load = (keys: readonly string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      calls.push({ keys, finish: (values) => resolve(values ?? new Map(keys.map((k) => [k, k.length]))), fail: reject });
    });
  return { calls, load };
}

describe('batchedLoader', () => {
  it('loads a key at once, and the keys asked meanwhile together, once the load ends', async () => {
    const { calls, load } = deferredLoads();
    const get = batchedLoader(load);
    const first = get('a');
    const second = get('bb');
    const third = get('ccc');
    const again = get('bb');
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    calls[0]!.finish();
    expect(await first).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    // 'bb' was asked while the first load ran: it is read again by a load started after it.
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['bb', 'ccc']]);
    calls[1]!.finish(new Map([['bb', 2]]));
    expect([await second, await third, await again]).toEqual([2, undefined, 2]);
  });

  it('never answers from a load that started before the question', async () => {
    const { calls, load } = deferredLoads();
    const get = batchedLoader(load);
    const early = get('k');
    const late = get('k');
    expect(calls).toHaveLength(1);
    calls[0]!.finish(new Map([['k', 1]]));
    expect(await early).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(2);
    calls[1]!.finish(new Map([['k', 2]]));
    expect(await late).toBe(2);
  });

  it('fails the callers of a failed load only, and goes on with the next', async () => {
    const { calls, load } = deferredLoads();
    const get = batchedLoader(load);
    const failed = get('a');
    const waiting = get('b');
    calls[0]!.fail(new Error('connection lost'));
    await expect(failed).rejects.toThrow('connection lost');
    await new Promise((resolve) => setImmediate(resolve));
    calls[1]!.finish();
    expect(await waiting).toBe(1);
  });

  it('runs up to `concurrency` loads at once, the keys asked meanwhile together in the next', async () => {
    const { calls, load } = deferredLoads();
    const get = batchedLoader(load, 2);
    const answers = [get('a'), get('bb'), get('ccc'), get('dddd')];
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['bb']]);
    calls[1]!.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.map((c) => c.keys)).toEqual([['a'], ['bb'], ['ccc', 'dddd']]);
    calls[0]!.finish();
    calls[2]!.finish();
    expect(await Promise.all(answers)).toEqual([1, 2, 3, 4]);
  });
});
