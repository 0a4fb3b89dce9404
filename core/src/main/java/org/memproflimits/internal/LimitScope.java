package org.memproflimits.internal;

import org.memproflimits.Limit;

/**
 * One active limit of a thread: one call of a limit function, on that thread's scope stack.
 * Only the owning thread reads or writes a scope, except a token's flag.
 */
abstract class LimitScope {
    /** The scope this one is nested in, of any kind; null for the outermost. */
    LimitScope outer;
    /** Sticky: set once an interrupt is due for this scope, kept until the scope ends. */
    boolean reached;
    /** The thread's interrupt status when the scope started, restored if the library set it. */
    boolean interruptedBefore;

    abstract Limit limit();

    /** Whether this scope's limit is exceeded now; called at unmasked samples of the owner. */
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
     * A token scope. Besides the sample check, setting the token has the waker interrupt the
     * scope's thread if it is blocked (see TokenWaker). The wake-up fields are guarded by the
     * owner's wake lock.
     */
    static final class TokenLimit extends LimitScope {
        final TokenState token;
        ThreadLimits owner;
        boolean ended;
        boolean woken;

        TokenLimit(TokenState token) {
            this.token = token;
        }

        @Override Limit limit() { return Limit.TOKEN; }
        @Override boolean exceeded(ThreadLimits thread) {
            return token.isSet();
        }

        /** Called by the thread that sets the token: hands the scope to the waker. */
        void wake() {
            TokenWaker.add(this);
        }
    }
}
