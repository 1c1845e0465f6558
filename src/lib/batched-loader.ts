/**
 * Loads values by key for concurrent callers, one query for many: a key asked while fewer than
 * `concurrency` loads run is loaded at once; the keys asked while they all run wait for one to
 * end, then are loaded together by the next one. Nothing is cached, and no caller joins a load that started before it asked: each
 * answer is read after its question (a token revoked just before a request is seen as revoked).
 */
export function batchedLoader<K, V>(load: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>, concurrency = 1): (key: K) => Promise<V | undefined> {
  let queued = new Map<K, { resolve(value: V | undefined): void; reject(error: unknown): void }[]>();
  let running = 0;

  const next = (): void => {
    if (running >= concurrency || queued.size === 0) return;
    const batch = queued;
    queued = new Map();
    running++;
    load([...batch.keys()])
      .then(
        (values) => {
          for (const [key, waiting] of batch) for (const w of waiting) w.resolve(values.get(key));
        },
        (error: unknown) => {
          for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
        },
      )
      .finally(() => {
        running--;
        next();
      });
  };

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiting = queued.get(key) ?? [];
      waiting.push({ resolve, reject });
      queued.set(key, waiting);
      next();
    });
}
