package org.memproflimits;

import org.memproflimits.internal.Engine;
import org.memproflimits.internal.ThreadLimits;

/**
 * Masking of interrupts, to acquire and release resources safely in code that may be interrupted.
 *
 * <h2>What it is</h2>
 * An interrupt can arise at any allocation of a limited task. Code that acquires a resource and
 * must release it - a lock, a pooled connection, a counter in shared state - needs acquisition and
 * release to run to completion. {@link #withResource} runs {@code acquire} and {@code release}
 * with interrupts masked, and {@code scope} in between as usual.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@code release} runs, exactly once, exactly when {@code acquire} returned normally -
 *       whether {@code scope} returned or threw.</li>
 *   <li>No interrupt arises while {@code acquire} or {@code release} runs; a sample taken then
 *       is dropped and a pending interrupt arises at the first sample after the mask ends.</li>
 *   <li>Masks nest. {@code scope} runs with the mask state that held when {@code withResource}
 *       was called.</li>
 *   <li>If {@code scope} throws and {@code release} throws too, the scope's exception propagates
 *       with the release's attached as suppressed, as with try-with-resources.</li>
 * </ul>
 * For consistency under interruption, write {@code acquire} so that it either succeeds or throws
 * having acquired nothing, and {@code release} so that it never fails. Masking covers this
 * library's interrupts only; a limit started inside a masked region is masked too.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * String row = Masking.withResource(
 *         () -> pool.borrow(),                 // masked
 *         conn -> conn.query("select 1"),      // interruptible
 *         conn -> pool.giveBack(conn));        // masked, runs exactly once
 * }</pre>
 */
public final class Masking {
    private Masking() {
    }

    /**
     * The body of a resource: what to do with it once acquired.
     *
     * @param <R> the resource type
     * @param <T> the value type
     * @param <E> the checked exception type
     */
    @FunctionalInterface
    public interface Scope<R, T, E extends Exception> {
        /**
         * @param resource the acquired resource
         * @return the scope's value
         * @throws E the scope's own failure
         */
        T apply(R resource) throws E;
    }

    /**
     * Releases a resource; should not fail.
     *
     * @param <R> the resource type
     */
    @FunctionalInterface
    public interface Release<R> {
        /** @param resource the resource to release */
        void release(R resource);
    }

    /**
     * Acquires a resource with interrupts masked, runs {@code scope} on it, and releases it with
     * interrupts masked, exactly when the acquisition returned.
     *
     * @param acquire acquires the resource; masked
     * @param scope uses it; interruptible as the caller was
     * @param release releases it; masked; runs exactly once if {@code acquire} returned
     * @param <R> the resource type
     * @param <T> the value type
     * @param <E> the checked exception type of {@code acquire} and {@code scope}
     * @return what {@code scope} returned
     * @throws E what {@code acquire} or {@code scope} threw
     */
    public static <R, T, E extends Exception> T withResource(Task<? extends R, ? extends E> acquire,
            Scope<? super R, ? extends T, ? extends E> scope, Release<? super R> release) throws E {
        if (acquire == null || scope == null || release == null) {
            throw new NullPointerException("acquire, scope and release must not be null");
        }
        ThreadLimits thread = Engine.mask();
        R resource;
        try {
            resource = acquire.run();
        } catch (Throwable t) {
            Engine.unmask(thread);
            throw t;
        }
        Engine.unmaskKeepingHold(thread);
        T value;
        try {
            value = scope.apply(resource);
        } catch (Throwable t) {
            Engine.remaskHeld(thread);
            try {
                release.release(resource);
            } catch (Throwable releaseFailure) {
                t.addSuppressed(releaseFailure);
            } finally {
                Engine.unmask(thread);
            }
            throw t;
        }
        Engine.remaskHeld(thread);
        try {
            release.release(resource);
        } finally {
            Engine.unmask(thread);
        }
        return value;
    }

    /** @return whether interrupts are masked in the calling thread */
    public static boolean isBlocked() {
        return Engine.isMasked();
    }

    /**
     * Checks that interrupts are masked in the calling thread, as in a release function.
     *
     * @throws IllegalStateException if they are not
     */
    public static void assertBlocked() {
        if (!Engine.isMasked()) {
            throw new IllegalStateException("interrupts are not masked in this thread; this code "
                    + "must run inside the acquire or release of Masking.withResource");
        }
    }
}
