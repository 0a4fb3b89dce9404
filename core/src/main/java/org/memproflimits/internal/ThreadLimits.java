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

    /*
     * Wake-ups. Token.set interrupts the threads running under the token, from its own thread,
     * so that blocked tasks wake up (see TokenWaker). Such an interrupt must not land in masked
     * code - a release doing interruptible I/O would fail - so while token scopes are active, the
     * mask depth is also kept under wakeLock, where the waker reads it before it interrupts.
     * Threads without token scopes never take the lock.
     */
    private final Object wakeLock = new Object();
    /** Number of token scopes on the stack; owner only. */
    private int tokenScopes;
    /** The mask depth as other threads see it, while tokenScopes > 0; guarded by wakeLock. */
    private int sharedMaskDepth;

    ThreadLimits(Thread thread) {
        this.thread = thread;
        this.exact = THREADS.getCurrentThreadAllocatedBytes() >= 0;
    }

    /** @return the thread this state belongs to */
    public Thread owner() {
        return thread;
    }

    void enterMask() {
        maskDepth++;
        if (tokenScopes > 0) {
            synchronized (wakeLock) {
                sharedMaskDepth = maskDepth;
                if (maskDepth == 1) {
                    holdBackWakeups();
                }
            }
        }
    }

    /**
     * A mask starts while a wake-up's interrupt status may still be set: take it back, so that
     * masked code never sees it; the waker, which still holds the scope, delivers it again once
     * the thread is unmasked and blocked. Allocation-free.
     */
    private void holdBackWakeups() {
        boolean woken = false;
        for (LimitScope s = top; s != null; s = s.outer) {
            woken |= s instanceof LimitScope.TokenLimit t && t.woken;
        }
        if (woken && Thread.interrupted()) {
            for (LimitScope s = top; s != null; s = s.outer) {
                if (s instanceof LimitScope.TokenLimit t) {
                    t.woken = false;
                }
            }
        }
    }

    void exitMask() {
        maskDepth--;
        if (tokenScopes > 0) {
            synchronized (wakeLock) {
                sharedMaskDepth = maskDepth;
            }
        }
    }

    /**
     * At a sample the thread is running Java code, not blocked: a wake-up's interrupt status
     * that is still set has not been consumed, and the sampler's own interrupt supersedes it.
     * Taking it back here keeps it from lingering into code that it could fail - a class loader
     * or a static initializer doing interruptible I/O - and the waker will interrupt again if
     * the task blocks again.
     */
    private void takeBackWakeups() {
        synchronized (wakeLock) {
            boolean woken = false;
            for (LimitScope s = top; s != null; s = s.outer) {
                if (s instanceof LimitScope.TokenLimit t && t.woken) {
                    woken = true;
                    t.woken = false;
                }
            }
            if (woken) {
                Thread.interrupted();
            }
        }
    }

    /** Called, masked, when a token scope is pushed. */
    void tokenScopeStarted() {
        synchronized (wakeLock) {
            tokenScopes++;
            sharedMaskDepth = maskDepth;
        }
    }

    /**
     * Called, masked, when a token scope ends: the interrupt status its wake-up set is cleared,
     * or set back if the thread had it when the scope started or an enclosing token scope was
     * woken too. A status the library did not set is left alone.
     */
    void tokenScopeEnded(LimitScope.TokenLimit scope) {
        boolean ours;
        boolean keep = scope.interruptedBefore;
        synchronized (wakeLock) {
            tokenScopes--;
            scope.ended = true;
            ours = scope.woken;
            for (LimitScope s = scope.outer; s != null; s = s.outer) {
                if (s instanceof LimitScope.TokenLimit t && t.woken) {
                    keep = true;
                }
            }
        }
        if (ours) {
            if (keep) {
                thread.interrupt();
            } else {
                Thread.interrupted();
            }
        }
    }

    /**
     * Called by the waker: interrupts the thread if the scope's token is set and the thread is
     * blocked where an interrupt is safe (see TokenWaker). Returns whether the scope needs no
     * more looking at (it ended).
     */
    boolean tryWake(LimitScope.TokenLimit scope) {
        synchronized (wakeLock) {
            if (scope.ended) {
                return true;
            }
            scope.reached = true;                   // published to the owner by wakeLock
            if (sharedMaskDepth > 0 || (scope.woken && thread.isInterrupted())) {
                return false;                       // masked, or woken and not yet noticed
            }
            Thread.State state = thread.getState();
            StackTraceElement[] stack = thread.getStackTrace();
            // Interruptible I/O runs in native methods of NIO's channels; other natives (nanoTime,
            // arraycopy) mean the thread is running, and the sampler's.
            boolean blocked = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING
                    || (state == Thread.State.RUNNABLE && stack.length > 0 && stack[0].isNativeMethod()
                        && stack[0].getClassName().startsWith("sun.nio.ch."));
            if (blocked && TokenWaker.isSafeToInterrupt(stack)) {
                scope.woken = true;
                thread.interrupt();
            }
            return false;
        }
    }

    /**
     * Bytes the sample callback itself allocated in this thread (a stack walk, an interrupt, a
     * profile's records): counted by the JDK's counter, but not the task's.
     */
    private long callbackBytes;

    /** Bytes allocated by this thread: exact on platform threads, estimated on virtual ones. */
    long clock() {
        return exact ? THREADS.getCurrentThreadAllocatedBytes() - callbackBytes : estimatedBytes;
    }

    /** The JDK's counter for this thread, for measuring the callback; -1 when not exact. */
    long rawCounter() {
        return exact ? THREADS.getCurrentThreadAllocatedBytes() : -1;
    }

    /** Excludes what the callback allocated since {@code rawBefore} from the clock. */
    void excludeCallbackSince(long rawBefore) {
        if (rawBefore >= 0) {
            callbackBytes += THREADS.getCurrentThreadAllocatedBytes() - rawBefore;
        }
    }

    /**
     * The decision at one sample of this thread: the interrupt to raise at the sampled
     * allocation, or null. Never throws.
     */
    Throwable onSample(long interval, Class<?> sampled) {
        if (!exact) {
            estimatedBytes += interval;     // counted even while masked: the bytes were allocated
        }
        LimitScope due = dueScope();
        if (due == null || !RaiseSafety.canRaiseHere(sampled)) {
            return null;                    // masked, none due, or deferred to a later sample
        }
        return RaiseSafety.trimmed(new LimitInterrupt(describe(due.limit())));
    }

    /**
     * The decision at a checkpoint the task's own code called: as at a sample, without a
     * sampled allocation (nothing to count on virtual threads, no allocating bytecode to read).
     * Never throws.
     */
    Throwable atCheckpoint() {
        LimitScope due = dueScope();
        if (due == null || !RaiseSafety.canRaiseAtCheckpoint()) {
            return null;                    // masked, none due, or deferred
        }
        return RaiseSafety.trimmed(new LimitInterrupt(describe(due.limit())));
    }

    /**
     * The innermost scope whose interrupt is due, marking as reached every
     * scope whose limit is exceeded now; null while masked (a sample then is dropped, not queued:
     * the sticky flags re-raise later) or if none is due.
     */
    private LimitScope dueScope() {
        if (tokenScopes > 0) {
            takeBackWakeups();
        }
        if (maskDepth > 0) {
            return null;
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
        return due;
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
