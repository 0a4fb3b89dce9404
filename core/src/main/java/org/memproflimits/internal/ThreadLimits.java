package org.memproflimits.internal;

import java.lang.management.ManagementFactory;
import org.memproflimits.Limit;

/**
 * The engine's state for one thread: its mask depth, its stack of active limits and its
 * allocation clock. Created by the thread's first limit or mask, dropped when the last ends.
 *
 * <p>Every field is written by the owning thread only - by its code or by the sample callback,
 * which runs in that same thread - so none needs to be volatile.
 */
public final class ThreadLimits {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    final Thread thread;
    /** False on virtual threads, where the JDK keeps no per-thread allocation counter. */
    final boolean exact;
    /** Nesting depth of masked regions; samples are dropped while it is positive. */
    int maskDepth;
    /** Active scopes, masks and resources that need this state; it is dropped at zero. */
    int holds;
    /** Innermost active limit, or null. */
    LimitScope top;
    /** Bytes estimated from samples, when not exact: samples seen times the interval. */
    private long estimatedBytes;

    ThreadLimits(Thread thread) {
        this.thread = thread;
        this.exact = THREADS.getCurrentThreadAllocatedBytes() >= 0;
    }

    /** Bytes allocated by this thread: exact on platform threads, estimated on virtual ones. */
    long clock() {
        return exact ? THREADS.getCurrentThreadAllocatedBytes() : estimatedBytes;
    }

    /**
     * The decision at one sample of this thread: the interrupt to raise at the sampled
     * allocation, or null. Never throws.
     */
    Throwable onSample(long interval) {
        if (!exact) {
            estimatedBytes += interval;     // counted even while masked: the bytes were allocated
        }
        if (maskDepth > 0) {
            return null;                    // dropped, not queued: sticky flags re-raise later
        }
        LimitScope due = null;
        for (LimitScope s = top; s != null; s = s.outer) {
            if (!s.reached && s.exceeded(this)) {
                s.reached = true;
            }
            if (s.reached && due == null) {
                due = s;
            }
        }
        if (due == null || !RaiseSafety.canRaiseHere()) {
            return null;                    // deferred to a later sample
        }
        return RaiseSafety.trimmed(new LimitInterrupt(describe(due.limit())));
    }

    /** True from the first reached limit until its scope ends; also when a token is set. */
    boolean isInterrupted() {
        for (LimitScope s = top; s != null; s = s.outer) {
            if (s.reached || (s instanceof LimitScope.TokenLimit t && t.token.isSet())) {
                return true;
            }
        }
        return false;
    }

    /** What the enclosing allocation scopes still allow, for a new nested one. */
    long remainingAllocationBudget() {
        long remaining = Long.MAX_VALUE;
        long now = -1;
        for (LimitScope s = top; s != null; s = s.outer) {
            if (s instanceof LimitScope.Allocations a) {
                if (now < 0) {
                    now = clock();
                }
                remaining = Math.min(remaining, Math.max(0, a.budget - (now - a.start)));
            }
        }
        return remaining;
    }

    static String describe(Limit limit) {
        switch (limit) {
            case GLOBAL_MEMORY: return "global memory limit reached";
            case ALLOCATIONS: return "allocation limit reached";
            default: return "token set";
        }
    }
}
