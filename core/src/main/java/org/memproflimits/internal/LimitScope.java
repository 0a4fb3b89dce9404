package org.memproflimits.internal;

import org.memproflimits.Limit;
import org.memproflimits.Token;

/**
 * One active limit of a thread: one call of a limit function, on that thread's scope stack.
 * Only the owning thread reads or writes a scope, except a token's flag.
 */
abstract class LimitScope {
    /** The scope this one is nested in, of any kind; null for the outermost. */
    LimitScope outer;
    /** Sticky: set once an interrupt is due for this scope, kept until the scope ends. */
    boolean reached;

    abstract Limit limit();

    /** Whether this scope's limit is exceeded now; called at unmasked samples of the owner. */
    abstract boolean exceeded(ThreadLimits thread);

    static final class GlobalMemory extends LimitScope {
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

    static final class TokenLimit extends LimitScope {
        final Token token;

        TokenLimit(Token token) {
            this.token = token;
        }

        @Override Limit limit() { return Limit.TOKEN; }
        @Override boolean exceeded(ThreadLimits thread) {
            return token.isSet();
        }
    }
}
