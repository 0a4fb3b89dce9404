package org.memproflimits;

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
 *   <li>{@link #set()} is one atomic, idempotent write: safe from any thread, never blocks.</li>
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
    private volatile boolean set;

    /** Creates a token that is not set. */
    public Token() {
    }

    /** Sets the token. Tasks guarded by it are interrupted at their next allocation sample. */
    public void set() {
        set = true;
    }

    /** @return whether {@link #set()} was ever called */
    public boolean isSet() {
        return set;
    }

    @Override
    public String toString() {
        return set ? "Token[set]" : "Token[unset]";
    }
}
