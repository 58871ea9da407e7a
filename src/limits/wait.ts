/**
 * Waiting for an activation at most so long (a blocking invoke, a web call). Arming and clearing a
 * Node timer and racing two promises for every request is measurable on the hottest path, and
 * almost every such wait ends long before its limit; so the waits share one timer, armed for the
 * earliest limit and moved only when it fires or an earlier one arrives.
 *
 * The pending waits are a doubly linked list, not a Set. With a module-level Set taking and
 * dropping one waiter per request, each young-generation collection on the main thread found about
 * 3 MB alive and promoted 2.4 MB of it, where the requests in flight account for a tenth of that
 * (why V8 kept the dropped waiters' graphs alive through the Set's table we did not pin down; a
 * bare Set churned the same way in a small script does not do it). Scavenges took 6-9 ms instead
 * of ~1 and the old generation needed a full collection about every second. Linked waiters leave
 * nothing behind once unlinked: measured with --trace-gc-nvp on the server under `wrk -c64`
 * against a web action, survived 3.0 → 0.3 MB and promoted 2.4 → 0.1 MB per scavenge.
 */

interface Waiter {
  due: number;
  resolve: (value: undefined) => void;
  prev: Waiter | undefined;
  next: Waiter | undefined;
}

/** The pending waits, oldest first. */
let first: Waiter | undefined;
let last: Waiter | undefined;
let timer: NodeJS.Timeout | undefined;
let armedFor = Infinity;

function link(waiter: Waiter): void {
  waiter.prev = last;
  if (last === undefined) first = waiter;
  else last.next = waiter;
  last = waiter;
}

function unlink(waiter: Waiter): void {
  const { prev, next } = waiter;
  if (prev === undefined) first = next;
  else prev.next = next;
  if (next === undefined) last = prev;
  else next.prev = prev;
  waiter.prev = waiter.next = undefined;
}

/** Settles like `promise`, or with undefined once `ms` have passed. */
export function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const waiter: Waiter = { due: Date.now() + ms, resolve, prev: undefined, next: undefined };
    link(waiter);
    if (waiter.due < armedFor) arm(waiter.due);
    promise.then(
      (value) => {
        unlink(waiter);
        resolve(value);
      },
      (error: unknown) => {
        unlink(waiter);
        reject(error);
      },
    );
  });
}

function arm(due: number): void {
  clearTimeout(timer);
  armedFor = due;
  timer = setTimeout(expire, Math.max(0, due - Date.now()));
  // Pending waits alone do not keep the process alive: whatever they wait for does.
  timer.unref();
}

function expire(): void {
  timer = undefined;
  armedFor = Infinity;
  const now = Date.now();
  let next = Infinity;
  for (let waiter = first; waiter !== undefined; ) {
    const following = waiter.next;
    if (waiter.due <= now) {
      unlink(waiter);
      waiter.resolve(undefined);
    } else if (waiter.due < next) {
      next = waiter.due;
    }
    waiter = following;
  }
  if (next !== Infinity) arm(next);
}
