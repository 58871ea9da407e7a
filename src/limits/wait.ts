/**
 * Waiting for an activation at most so long (a blocking invoke, a web call). Arming and clearing a
 * Node timer and racing two promises for every request is measurable on the hottest path, and
 * almost every such wait ends long before its limit; so the waits share one timer, armed for the
 * earliest limit and moved only when it fires or an earlier one arrives.
 */

interface Waiter {
  due: number;
  resolve: (value: undefined) => void;
}

const waiters = new Set<Waiter>();
let timer: NodeJS.Timeout | undefined;
let armedFor = Infinity;

/** Settles like `promise`, or with undefined once `ms` have passed. */
export function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const waiter: Waiter = { due: Date.now() + ms, resolve };
    waiters.add(waiter);
    if (waiter.due < armedFor) arm(waiter.due);
    promise.then(
      (value) => {
        waiters.delete(waiter);
        resolve(value);
      },
      (error: unknown) => {
        waiters.delete(waiter);
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
  for (const waiter of waiters) {
    if (waiter.due <= now) {
      waiters.delete(waiter);
      waiter.resolve(undefined);
    } else if (waiter.due < next) {
      next = waiter.due;
    }
  }
  if (next !== Infinity) arm(next);
}
