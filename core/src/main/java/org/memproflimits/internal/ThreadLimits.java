package org.memproflimits.internal;

import java.lang.management.ManagementFactory;
import org.memproflimits.Limit;

/**
 * The engine's state for one thread: its mask depth, its stack of active limits and its
 * allocation clock. Created by the thread's first limit or mask, dropped when the last ends.
 *
 * <p>Field access. The mask depth, holds, scope stack, estimate and callback bytes are written
 * by the owning thread only - by its code or by the sample callback, which runs in that same
 * thread - and read by it, so none is volatile. Other threads read two of them: the stopper's
 * wake-up reads the mask depth as {@code sharedMaskDepth}, its copy under {@code wakeLock}; a
 * stopper worker reads {@code maskDepth} itself, but only while it holds the owner suspended
 * (JVMTI SuspendThread returns once the owner has stopped at a safepoint-safe point, a handshake
 * that orders the owner's earlier writes before the worker's reads); likewise {@code handoff},
 * which a worker also clears while the owner is suspended. Nothing else crosses.
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
    /**
     * A resource was just handed to the caller's try-with-resources (Engine.unmaskForHandoff).
     * Set by the owner; read and cleared by a stopper worker while the owner is suspended.
     */
    boolean handoff;
    /**
     * Where the owner stood when a worker found {@link #handoff} set. Workers only, each while
     * it holds the owner suspended, which excludes the others (SuspendThread fails then).
     */
    long handoffWhere;
    /** Deferrals left while the owner stands at {@link #handoffWhere}. Workers only. */
    int handoffDeferrals;
    /** Bytes estimated from samples, when not exact: samples seen times the interval. */
    private long estimatedBytes;

    /*
     * Wake-ups. When a token is set, a deadline passes or a CPU budget is spent, the stopper
     * interrupts the scope's thread if it is blocked (Thread.interrupt), so that blocked tasks
     * wake up, and stops it from outside if it runs without reaching a sample (see Stopper).
     * A wake-up must not land in masked code - a release doing interruptible I/O would fail - so
     * while such scopes are active, the mask depth is also kept under wakeLock, where the
     * stopper reads it before it interrupts. Threads without such scopes never take the lock.
     * Both ways may leave the thread's interrupt status set (StopThread sets it too); the owner
     * takes it back when it masks, samples or ends the scope (holdBackWakeups, takeBackWakeups,
     * stoppableScopeEnded).
     */
    private final Object wakeLock = new Object();
    /** Number of token, time and CPU-time scopes on the stack; owner only. */
    private int stoppableScopes;
    /** The mask depth as other threads see it, while stoppableScopes > 0; guarded by wakeLock. */
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
        if (stoppableScopes > 0) {
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
            woken |= s instanceof LimitScope.Stoppable t && (t.woken || t.stoppedFromOutside);
        }
        if (woken && Thread.interrupted()) {
            for (LimitScope s = top; s != null; s = s.outer) {
                if (s instanceof LimitScope.Stoppable t) {
                    t.woken = false;
                    t.stoppedFromOutside = false;
                }
            }
        }
    }

    void exitMask() {
        maskDepth--;
        if (stoppableScopes > 0) {
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
                if (s instanceof LimitScope.Stoppable t && (t.woken || t.stoppedFromOutside)) {
                    woken = true;
                    t.woken = false;
                    t.stoppedFromOutside = false;
                }
            }
            if (woken) {
                Thread.interrupted();
            }
        }
    }

    /** Called, masked, when a token, time or CPU-time scope is pushed. */
    void stoppableScopeStarted() {
        synchronized (wakeLock) {
            stoppableScopes++;
            sharedMaskDepth = maskDepth;
        }
    }

    /**
     * Called, masked, when a token, time or CPU-time scope ends: the interrupt status its
     * wake-up or outside stop set is cleared, or set back if the thread had it when the scope
     * started or an enclosing scope was woken too. A status the library did not set is left alone.
     */
    void stoppableScopeEnded(LimitScope.Stoppable scope) {
        boolean ours;
        boolean keep = scope.interruptedBefore;
        synchronized (wakeLock) {
            stoppableScopes--;
            scope.ended = true;
            ours = scope.woken || scope.stoppedFromOutside;
            for (LimitScope s = scope.outer; s != null; s = s.outer) {
                if (s instanceof LimitScope.Stoppable t && (t.woken || t.stoppedFromOutside)) {
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

    /** What {@link #tryWake} found. */
    enum WakeState {
        /** The scope has ended: nothing more to do. */
        ENDED,
        /** Blocked: interrupted now, or to be looked at again (masked, hazard, not yet noticed). */
        BLOCKED,
        /** Running Java code: the sampler's, or the outside stop's. */
        RUNNING
    }

    /**
     * Called by the stopper's coordinator for a reached scope: interrupts the thread if it is
     * blocked where an interrupt is safe - waiting, or in interruptible I/O, unmasked, with no
     * frame that the hazard policy defers a wake-up under.
     */
    WakeState tryWake(LimitScope.Stoppable scope, ThreadStack stack) {
        synchronized (wakeLock) {
            if (scope.ended) {
                return WakeState.ENDED;
            }
            if (sharedMaskDepth > 0 || (scope.woken && thread.isInterrupted())) {
                return WakeState.BLOCKED;           // masked, or woken and not yet noticed
            }
            Thread.State state = thread.getState();
            boolean waiting = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
            if (!waiting && state != Thread.State.RUNNABLE) {
                return state == Thread.State.BLOCKED ? WakeState.BLOCKED : WakeState.ENDED;
            }
            if (!stack.read(thread)) {
                return WakeState.BLOCKED;
            }
            if (!waiting && !stack.inInterruptibleIo()) {
                return WakeState.RUNNING;
            }
            if (stack.deferral(RaiseSafety.Arising.WAKE_UP) == null) {
                scope.woken = true;
                thread.interrupt();
            }
            return WakeState.BLOCKED;
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
        if (stoppableScopes > 0) {
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

    /**
     * True from the first reached limit until its scope ends; also as soon as a token is set, a
     * deadline passed or a CPU budget was spent.
     */
    boolean isInterrupted() {
        for (LimitScope s = top; s != null; s = s.outer) {
            if (s.reached || (s instanceof LimitScope.Stoppable t && t.exceeded(this))) {
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
            case TIME: return "time limit reached";
            case CPU_TIME: return "CPU time limit reached";
            default: return "token set";
        }
    }
}
