/**
 * Lets the kernel coalesce the wake-ups of isolated-vm's timer threads.
 *
 * Every isolate call made with a `timeout` arms an isolated-vm timer (the fast path's slice, each
 * applySync). Its timer thread sleeps until the earliest deadline in its queue, and a call that
 * finishes in time only marks its timer dead: the thread still wakes at that timer's deadline to
 * drop it. With one call every 50 µs (one connection) that is one wake of that thread per call,
 * each a context switch on the core the process shares with the server. Measured driving a worker
 * process alone, as suite "worker" (bench/worker.ts) does: 0.43 switches and 6–7 µs of that
 * thread's CPU per call.
 *
 * A thread inherits its timer slack from the thread that creates it, and isolated-vm creates its
 * timer threads from the thread that makes the call: this process's main thread. With 1 ms of slack
 * the kernel may run a sleeper up to 1 ms past its deadline, so the timer thread wakes once for all
 * the deadlines of that millisecond (0.05 switches and 1–1.5 µs a call, same measurement). The cost:
 * the main thread's own timers (Node's, through epoll) also fire up to 1 ms late — a slice cut off
 * at 11 ms instead of 10, an action's deadline 1 ms later, nothing that is meant to be that exact.
 */
import { writeFileSync } from 'node:fs';

const SLACK_NS = 1_000_000;

/** Sets this process's main-thread timer slack (Linux); elsewhere, or if refused, nothing changes. */
export function coalesceTimerWakes(): void {
  try {
    // /proc/self is the thread-group leader, the main thread: the one that makes the calls (the
    // pool is made and used there; a thread may set its own slack without privileges).
    writeFileSync('/proc/self/timerslack_ns', String(SLACK_NS));
  } catch {
    // Not Linux, or /proc not writable: the timer thread then wakes once per call, as before.
  }
}
