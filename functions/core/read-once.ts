/**
 * One read per key however many callers ask at once, for the life of one invocation. A failed
 * read is forgotten, so the next caller asks again rather than failing with it.
 */
export function readOncePerKey<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const reads = new Map<string, Promise<T>>();
  return (key) => {
    let pending = reads.get(key);
    if (!pending) {
      pending = read(key);
      reads.set(key, pending);
      pending.catch(() => reads.delete(key));
    }
    return pending;
  };
}
