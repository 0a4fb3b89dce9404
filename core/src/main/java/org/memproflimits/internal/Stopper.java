package org.memproflimits.internal;

import java.util.Comparator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces token, time and CPU-time limits from outside the limited thread: wakes a task that is
 * blocked, and stops one that runs without reaching a sample.
 *
 * <p>A task that allocates is stopped by its own samples, at the exact allocation, within a
 * sampling interval of allocation. A task that never allocates - a {@code while (true) {}}, a
 * regular expression backtracking, a decompression into a discarded buffer - never reaches a
 * sample. For those the stopper, {@link #GRACE_NANOS} after the limit is reached, suspends the
 * thread (JVMTI SuspendThread), asks the engine's one hazard policy whether an interrupt may
 * arise where the thread stands ({@link RaiseSafety}, {@link ThreadStack}), and if so installs
 * it (JVMTI StopThread) before resuming the thread: the interrupt arises right there, at the
 * safepoint poll the thread was suspended at. If not, it resumes the thread and looks again
 * shortly (1, 2, 4, then every 8 ms) until the scope ends.
 */
final class Stopper {

    /*
     * Overview
     *
     * Threads. One coordinator ("memprof-limits stopper") keeps the schedule: the scopes that
     * may need it, ordered by when it should next look at them. A time scope enters at its
     * deadline, a CPU-time scope at the earliest wall time its budget could be spent (CPU time
     * runs no faster than the wall clock), a token scope when its token is set. Nothing is
     * scheduled, and the coordinator sleeps, while no limit can be reached: no periodic wake-up.
     * At a scope's time the coordinator checks that it is reached, wakes the owner if it is
     * blocked (Thread.interrupt, as ThreadLimits.tryWake decides), and otherwise, once the
     * grace has passed, hands an attempt to a worker. Workers ("memprof-limits stopper worker")
     * do the suspend-inspect-stop-resume sequence; there is one per attempt in progress, created
     * when none is idle, parked when idle. A suspension that does not return - under Parallel
     * and Serial GC, C2 compiles counted int loops without safepoint polls, and SuspendThread
     * waits until such a loop exits - holds one worker, never the coordinator nor other workers.
     *
     * Nothing waits on a suspended thread. Between suspend and resume a worker reads the
     * owner's mask depth and the scope's ended flag (plain reads), reads the owner's frames
     * through JVMTI, runs the hazard predicate over them, builds the interrupt's stack trace and
     * calls StopThread. None of it takes a Java lock, loads a class or links a call site (no
     * lambda, no string concatenation, classes used by the engine's warm-up), and nothing it
     * allocates goes into a structure that another thread shares. The coordinator takes the
     * owner's wake lock and may create threads, which can block on a lock a suspended thread
     * holds - but only until the worker that suspended that thread resumes it, which it does
     * without waiting for anything.
     *
     * Hand-offs: see inHandoff.
     *
     * Ended scopes. The owner ends a scope masked: it sets ended, then removes the scope from
     * the schedule. A worker reads ended while the owner is suspended, so a stop is installed
     * only in a scope that has not ended; and since the owner was suspended unmasked at a plain
     * bytecode of its own code, the interrupt arises there, before the scope's end.
     *
     * Field access. SCHEDULE is a concurrent skip list: owners add (push) and remove (pop)
     * their scopes, the coordinator removes and re-adds them. A scope's dueNanos changes only
     * while it is out of the list, by the coordinator (or by its owner before it is first
     * added); after re-adding, the coordinator re-checks ended, so a scope that ended meanwhile
     * cannot stay in the list. REACHED carries set tokens' scopes from the setting thread to
     * the coordinator. IDLE is the workers' free list. See LimitScope.Stoppable for the scope's
     * own fields.
     */

    /** How long a reached scope is left to its samples before the outside stop. */
    static final long GRACE_NANOS = 1_000_000;
    private static final long FIRST_RETRY_NANOS = 1_000_000;
    private static final long MAX_RETRY_NANOS = 8_000_000;

    private static final ConcurrentSkipListSet<LimitScope.Stoppable> SCHEDULE = new ConcurrentSkipListSet<>(
            Comparator.<LimitScope.Stoppable>comparingLong(s -> s.dueNanos).thenComparingLong(s -> s.seq));
    private static final ConcurrentLinkedQueue<LimitScope.Stoppable> REACHED = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<Worker> IDLE = new ConcurrentLinkedQueue<>();
    private static final Object START_LOCK = new Object();
    private static volatile Thread coordinator;
    /** The JVM granted what the outside stop needs (see {@link #isAvailable}). */
    private static volatile boolean capable;
    private static final AtomicInteger WORKERS = new AtomicInteger();

    /** Outside stops installed, attempts deferred by the hazard policy: for tests and reports. */
    static final AtomicLong STOPS = new AtomicLong();
    static final AtomicLong DEFERRED = new AtomicLong();

    private Stopper() {
    }

    /**
     * The system property that turns the outside stop on. Off by default for now: the torture
     * test (TortureTest) still finds mask depths left raised after tasks when outside stops
     * land among its masked resources, so it is opt-in until that is found. Wake-ups of blocked
     * tasks do not depend on it.
     */
    static final String ENABLE_PROPERTY = "org.memproflimits.outsideStop";

    /** Called once by Engine.start, after the native shim started. */
    static void start() {
        capable = NativeSampler.canStopFromOutside();
        if (capable) {
            ThreadStack.warmUp();
            Thread unstarted = new Thread(() -> { });
            NativeSampler.suspend(unstarted);           // links the natives: errors, no effect
            NativeSampler.resume(unstarted);
            NativeSampler.stop(unstarted, new LimitInterrupt("warm-up"));
            inNative(unstarted);
            new Worker().attemptOn(null);
        }
    }

    /**
     * @return whether the outside stop runs: the JVM allows it, and the property is set - read at
     *         each look, so that setting it after the engine started (a test, a tool) works
     */
    static boolean isAvailable() {
        return capable && Boolean.getBoolean(ENABLE_PROPERTY);
    }

    /** Called by the owner, masked, when it pushes a time or CPU-time scope. */
    static void schedule(LimitScope.Stoppable scope, long dueNanos) {
        scope.dueNanos = dueNanos;
        SCHEDULE.add(scope);
        if (SCHEDULE.first() == scope) {
            LockSupport.unpark(coordinator());
        }
    }

    /** Called by a thread that sets a token, for each scope under it. */
    static void reached(LimitScope.Stoppable scope) {
        REACHED.add(scope);
        LockSupport.unpark(coordinator());
    }

    /** Called by the owner, masked, after it set {@code scope.ended}. */
    static void ended(LimitScope.Stoppable scope) {
        SCHEDULE.remove(scope);
    }

    private static Thread coordinator() {
        Thread t = coordinator;
        if (t != null) {
            return t;
        }
        synchronized (START_LOCK) {
            if (coordinator == null) {
                Thread c = new Thread(Stopper::coordinate, "memprof-limits stopper");
                c.setDaemon(true);
                c.start();
                coordinator = c;
            }
            return coordinator;
        }
    }

    // ---------------------------------------------------------------- the coordinator

    private static void coordinate() {
        ThreadStack stack = new ThreadStack();
        while (true) {
            for (LimitScope.Stoppable s; (s = REACHED.poll()) != null; ) {
                reschedule(s, System.nanoTime());
            }
            LimitScope.Stoppable first = SCHEDULE.isEmpty() ? null : firstOrNull();
            if (first == null) {
                LockSupport.park(Stopper.class);
                continue;
            }
            long now = System.nanoTime();
            long wait = first.dueNanos - now;
            if (wait > 0) {
                LockSupport.parkNanos(Stopper.class, wait);
                continue;
            }
            if (SCHEDULE.remove(first)) {
                look(first, now, stack);
            }
        }
    }

    private static LimitScope.Stoppable firstOrNull() {
        try {
            return SCHEDULE.first();
        } catch (java.util.NoSuchElementException emptied) {
            return null;
        }
    }

    private static void reschedule(LimitScope.Stoppable s, long due) {
        SCHEDULE.remove(s);
        s.dueNanos = due;
        SCHEDULE.add(s);
        if (s.ended) {
            SCHEDULE.remove(s);
        }
    }

    /** One look at a scope that is due; reschedules it unless it ended. */
    private static void look(LimitScope.Stoppable s, long now, ThreadStack stack) {
        if (s.ended) {
            return;
        }
        if (!s.reachedSeenFromOutside(now)) {
            reschedule(s, s.nextLook(now));
            return;
        }
        if (s.reachedAtNanos == 0) {
            s.reachedAtNanos = now;
            s.retries = 0;
        }
        ThreadLimits.WakeState state = s.attemptRunning ? ThreadLimits.WakeState.RUNNING
                : s.owner.tryWake(s, stack);
        if (state == ThreadLimits.WakeState.ENDED) {
            return;
        }
        long next;
        if (state == ThreadLimits.WakeState.RUNNING && isAvailable()) {
            long sinceReached = now - s.reachedAtNanos;
            if (sinceReached < GRACE_NANOS) {
                next = s.reachedAtNanos + GRACE_NANOS;
            } else {
                if (!s.attemptRunning) {
                    dispatch(s);
                }
                next = now + retryDelay(s);
            }
        } else {
            next = now + retryDelay(s);
        }
        reschedule(s, next);
    }

    private static long retryDelay(LimitScope.Stoppable s) {
        int r = Math.min(s.retries++, 3);
        return Math.min(FIRST_RETRY_NANOS << r, MAX_RETRY_NANOS);
    }

    private static void dispatch(LimitScope.Stoppable s) {
        s.attemptRunning = true;
        Worker w = IDLE.poll();
        if (w == null) {
            w = new Worker();
            Thread t = new Thread(w::run, "memprof-limits stopper worker " + WORKERS.incrementAndGet());
            t.setDaemon(true);
            w.thread = t;
            w.job = s;
            t.start();
        } else {
            w.job = s;
            LockSupport.unpark(w.thread);
        }
    }

    // ---------------------------------------------------------------- the workers

    private static final class Worker {
        private final ThreadStack stack = new ThreadStack();
        Thread thread;
        volatile LimitScope.Stoppable job;

        void run() {
            while (true) {
                LimitScope.Stoppable s = job;
                if (s == null) {
                    LockSupport.park(Stopper.class);
                    continue;
                }
                try {
                    attemptOn(s);
                } finally {
                    job = null;
                    s.attemptRunning = false;
                    IDLE.add(this);
                }
            }
        }

        /**
         * Suspends the owner, inspects it, installs the interrupt if it may arise there, and
         * resumes it. With {@code s == null}, runs the inspection on the calling thread's own
         * stack, for the warm-up.
         */
        void attemptOn(LimitScope.Stoppable s) {
            if (s == null) {
                if (stack.read(Thread.currentThread())) {
                    stack.deferral(RaiseSafety.Arising.OUTSIDE_STOP);
                    new LimitInterrupt("warm-up").setStackTrace(stack.trace());
                }
                return;
            }
            ThreadLimits owner = s.owner;
            Thread target = owner.thread;
            LimitInterrupt interrupt = new LimitInterrupt(ThreadLimits.describe(s.limit()));
            if (NativeSampler.suspend(target) != 0) {
                return;                         // it ended, or cannot be suspended now
            }
            boolean stopped = false;
            try {
                // ---- the window: see "Nothing waits on a suspended thread"
                if (!s.ended && owner.maskDepth == 0 && !inNative(target) && stack.read(target)
                        && !inHandoff(owner, stack)
                        && stack.deferral(RaiseSafety.Arising.OUTSIDE_STOP) == null) {
                    interrupt.setStackTrace(stack.trace());
                    stopped = NativeSampler.stop(target, interrupt) == 0;
                    if (stopped) {
                        s.stoppedFromOutside = true;    // before resume: see LimitScope.Stoppable
                    }
                }
            } finally {
                NativeSampler.resume(target);
            }
            if (stopped) {
                STOPS.incrementAndGet();
            } else {
                DEFERRED.incrementAndGet();
            }
        }
    }

    /**
     * A thread suspended in native code - a JNI method, the VM's call of the sample callback -
     * is not at a safepoint poll of its Java code: it keeps running until it returns to the VM,
     * and an exception installed now would be delivered at some later transition, possibly in
     * masked code. Its Java frames alone cannot tell (the callback's top Java frame may stand at
     * any bytecode a compiled allocation is attributed to), so the thread's state decides.
     */
    private static boolean inNative(Thread target) {
        int state = NativeSampler.threadState(target);
        return state < 0 || (state & NativeSampler.IN_NATIVE) != 0;
    }

    /**
     * Hand-offs. Masking.acquire returns a resource, unmasked, to a try-with-resources that has
     * not begun yet; a stop in between would leak it. So when the owner has just had a resource
     * handed over, the worker defers and notes where the owner stands, and defers again, up to
     * twice more (that is, for the next 3 to 7 ms), while the owner stands at that same place
     * (top method, bytecode, depth). The window is a few straight-line bytecodes: a thread
     * still in it after that has been off its processor the whole time. (Unbounded, the rule
     * would spare a loop whose one safepoint poll is the place first noted.) Called in the
     * window, by a worker.
     */
    private static boolean inHandoff(ThreadLimits owner, ThreadStack stack) {
        if (owner.handoff) {
            owner.handoff = false;
            owner.handoffWhere = stack.where();
            owner.handoffDeferrals = 2;
            return true;
        }
        if (owner.handoffDeferrals > 0 && owner.handoffWhere == stack.where()) {
            owner.handoffDeferrals--;
            return true;
        }
        owner.handoffDeferrals = 0;
        return false;
    }
}
