package org.memproflimits;

import org.memproflimits.internal.TokenState;

/**
 * A flag that any thread can set, once and for all, to interrupt the tasks it guards.
 *
 * <h2>What it is</h2>
 * A token is handed to {@link MemprofLimits#limitWithToken}; setting it makes every task running
 * under it, in any thread, receive an interrupt at its next allocation sample. It is how a
 * watchdog, a request-cancellation handler or a shutdown hook stops CPU-bound work at a
 * distance.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #set()} is atomic and idempotent, safe from any thread; it interrupts the threads
 *       of the tasks running under the token, so that blocked ones wake up.</li>
 *   <li>A token is never unset. A task started under a token that is already set does not
 *       run; its result is {@link Result.Interrupted}.</li>
 *   <li>One token may guard many tasks in many threads; token limits nest, and every enclosing
 *       token of a thread is checked.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Token token = new Token();
 * scheduler.schedule(token::set, 2, TimeUnit.SECONDS);            // a timeout
 * Result<Report> r = MemprofLimits.limitWithToken(token, () -> engine.evaluate(rules));
 * }</pre>
 */
public final class Token {
    final TokenState state = new TokenState();

    /** Creates a token that is not set. */
    public Token() {
    }

    /**
     * Sets the token. Tasks guarded by it are interrupted at their next allocation sample; those
     * blocked in {@code sleep}, {@code wait}, {@code park}, {@code join} or interruptible I/O are
     * woken with {@link Thread#interrupt()} by the library's waker thread, which does so only
     * while the task is blocked outside static initializers, class loading and masked code
     * (see docs/recovering.md for the small window that remains). The interrupt status the
     * library sets this way is cleared when the task's limit function returns; a status the
     * thread had before is kept.
     */
    public void set() {
        state.set();
    }

    /** @return whether {@link #set()} was ever called */
    public boolean isSet() {
        return state.isSet();
    }

    @Override
    public String toString() {
        return isSet() ? "Token[set]" : "Token[unset]";
    }
}
