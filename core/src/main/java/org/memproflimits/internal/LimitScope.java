package org.memproflimits.internal;

import java.lang.management.ManagementFactory;
import org.memproflimits.Limit;

/**
 * One active limit of a thread: one call of a limit function, on that thread's scope stack.
 * Which thread touches which field is said at each field and in {@link Stoppable}.
 */
abstract class LimitScope {
    /** The scope this one is nested in, of any kind; null for the outermost. Owner only. */
    LimitScope outer;
    /** Sticky: set once an interrupt is due for this scope, kept until the scope ends. Owner only. */
    boolean reached;
    /** The thread's interrupt status when the scope started, restored if the library set it. */
    boolean interruptedBefore;

    abstract Limit limit();

    /** Whether this scope's limit is exceeded now; called by the owner at unmasked samples. */
    abstract boolean exceeded(ThreadLimits thread);

    static final class GlobalMemory extends LimitScope {
        /** The HeapWatcher cohort the scope joined when it started. */
        HeapWatcher.Cohort cohort;

        @Override Limit limit() { return Limit.GLOBAL_MEMORY; }
        @Override boolean exceeded(ThreadLimits thread) {
            return HeapWatcher.isOverLimit(Engine.globalMemoryLimit());
        }
    }

    static final class Allocations extends LimitScope {
        final long limit;
        /** The thread's allocation clock when the task started. */
        long start;
        /** min(limit, what the enclosing allocation scopes had left at the start). */
        long budget;
        /** The thread running the scope, set when it starts. */
        ThreadLimits owner;
        /** The count when the task returned, for the Allocated record. */
        long allocatedAtEnd;

        Allocations(long limit) {
            this.limit = limit;
        }

        /** Bytes allocated since the scope started; read by its own thread. */
        long allocated() {
            return owner.clock() - start;
        }

        @Override Limit limit() { return Limit.ALLOCATIONS; }
        @Override boolean exceeded(ThreadLimits thread) {
            return thread.clock() - start > budget;
        }
    }

    /**
     * A limit that other threads can find reached - a token, a deadline, a CPU budget - and so
     * enforce from outside: the {@link Stopper} wakes the owner if it is blocked and stops it if
     * it runs without reaching a sample.
     *
     * <p>Field access. {@code owner} is written before the scope is published (push). {@code
     * ended} is written by the owner, masked, under its wake lock, and read by the stopper without
     * it (volatile): a worker reads it while the owner is suspended, so the owner cannot end the
     * scope between the read and the stop. {@code woken} is guarded by the owner's wake lock.
     * {@code stoppedFromOutside} is written by a stopper worker while the owner is suspended, and
     * read and cleared by the owner (volatile). {@code dueNanos} is written by the owner before
     * the scope is first scheduled and after that by the stopper's coordinator only, while the
     * scope is out of the schedule; {@code reachedAtNanos}, {@code retries} belong to the
     * coordinator; {@code attemptRunning} is set by the coordinator and cleared by a worker.
     */
    abstract static sealed class Stoppable extends LimitScope permits TokenLimit, Time, CpuTime {
        private static final java.util.concurrent.atomic.AtomicLong SEQUENCE =
                new java.util.concurrent.atomic.AtomicLong();
        /** Breaks ties between equal due times in the stopper's schedule. */
        final long seq = SEQUENCE.incrementAndGet();
        ThreadLimits owner;
        volatile boolean ended;
        boolean woken;
        volatile boolean stoppedFromOutside;
        volatile long dueNanos;
        long reachedAtNanos;
        int retries;
        volatile boolean attemptRunning;

        /**
         * Whether the limit is reached, as another thread sees it at {@code now}; called by the
         * stopper's coordinator.
         */
        abstract boolean reachedSeenFromOutside(long now);

        /** When the stopper should look again at a scope not yet reached (CPU time); else now. */
        long nextLook(long now) {
            return now;
        }
    }

    /** A token scope: reached when its token is set, by any thread. */
    static final class TokenLimit extends Stoppable {
        final TokenState token;

        TokenLimit(TokenState token) {
            this.token = token;
        }

        @Override Limit limit() { return Limit.TOKEN; }
        @Override boolean exceeded(ThreadLimits thread) {
            return token.isSet();
        }
        @Override boolean reachedSeenFromOutside(long now) {
            return token.isSet();
        }

        /** Called by the thread that sets the token: hands the scope to the stopper. */
        void wake() {
            Stopper.reached(this);
        }
    }

    /** A wall-clock limit: reached when {@code System.nanoTime()} passes the deadline. */
    static final class Time extends Stoppable {
        final long deadline;

        Time(long deadline) {
            this.deadline = deadline;
        }

        @Override Limit limit() { return Limit.TIME; }
        @Override boolean exceeded(ThreadLimits thread) {
            return System.nanoTime() - deadline >= 0;
        }
        @Override boolean reachedSeenFromOutside(long now) {
            return now - deadline >= 0;
        }
    }

    /**
     * A CPU-time limit: reached when the owner has run for its budget of CPU time since the scope
     * started. A virtual thread has no CPU clock in the JDK; there the wall-clock time since the
     * start counts, an upper bound of its CPU time.
     */
    static final class CpuTime extends Stoppable {
        private static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long budget;
        /** The thread's CPU clock at the start, or System.nanoTime() when {@code wall}. */
        long start;
        /** True on virtual threads: counted by the wall clock. */
        boolean wall;
        /** The owner's id, for reading its CPU clock from the coordinator. */
        long threadId;

        CpuTime(long budget) {
            this.budget = budget;
        }

        /** Called by the owner, in push. */
        void begin(Thread self) {
            long cpu = THREADS.getCurrentThreadCpuTime();
            wall = cpu < 0;
            start = wall ? System.nanoTime() : cpu;
            threadId = self.getId();
        }

        /** The owner's CPU time since the start (the wall clock on virtual threads); -1 if gone. */
        private long usedSeenFromOutside(long now) {
            if (wall) {
                return now - start;
            }
            long cpu = THREADS.getThreadCpuTime(threadId);
            return cpu < 0 ? -1 : cpu - start;
        }

        @Override Limit limit() { return Limit.CPU_TIME; }
        @Override boolean exceeded(ThreadLimits thread) {
            long now = wall ? System.nanoTime() : THREADS.getCurrentThreadCpuTime();
            return now - start >= budget;
        }
        @Override boolean reachedSeenFromOutside(long now) {
            return usedSeenFromOutside(now) >= budget;
        }
        /** CPU time runs no faster than the wall clock: the budget cannot be spent sooner. */
        @Override long nextLook(long now) {
            long used = usedSeenFromOutside(now);
            return used < 0 ? now + 1_000_000 : now + Math.max(budget - used, 100_000);
        }
    }
}
