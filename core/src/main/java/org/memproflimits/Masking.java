package org.memproflimits;

import java.util.Objects;
import java.util.Set;
import org.memproflimits.internal.Engine;
import org.memproflimits.internal.ThreadLimits;

/**
 * Masking of interrupts, to acquire and release resources safely in code that may be interrupted.
 *
 * <h2>What it is</h2>
 * An interrupt can arise at any allocation of a limited task. Code that acquires a resource and
 * must release it - a lock, a pooled connection, a counter in shared state - needs acquisition and
 * release to run to completion. {@link #withResource} runs {@code acquire} and {@code release}
 * with interrupts masked, and {@code scope} in between as usual; {@link #acquire} does the same
 * for try-with-resources, {@link #mask} masks any block, and {@link #maskPackage} masks a whole
 * library (one whose shared state does not survive an exception at any allocation) wherever it
 * runs.
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
        Objects.requireNonNull(acquire, "acquire must not be null");
        Objects.requireNonNull(scope, "scope must not be null");
        Objects.requireNonNull(release, "release must not be null");
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

    /**
     * Acquires a resource with interrupts masked, for use in try-with-resources; closing the
     * returned {@link Resource} runs {@code release} masked, exactly once.
     *
     * <p>The {@code Resource} is created while still masked, and nothing between its return and
     * the start of the {@code try} block allocates, so no interrupt can arise in between:
     * <pre>{@code
     * try (Resource<Connection> c = Masking.acquire(pool::borrow, pool::giveBack)) {
     *     c.get().query(sql);                 // interruptible
     * }                                       // giveBack runs masked, exactly once
     * }</pre>
     * Close it in the thread that acquired it, as try-with-resources does.
     *
     * @param acquire acquires the resource; masked
     * @param release releases it; masked; runs exactly once, at the first {@code close()}
     * @param <R> the resource type
     * @param <E> the checked exception type of {@code acquire}
     * @return the acquired resource
     * @throws E what {@code acquire} threw; then nothing was acquired and nothing will be released
     */
    public static <R, E extends Exception> Resource<R> acquire(Task<? extends R, ? extends E> acquire,
            Release<? super R> release) throws E {
        Objects.requireNonNull(acquire, "acquire must not be null");
        Objects.requireNonNull(release, "release must not be null");
        ThreadLimits thread = Engine.mask();
        Resource<R> resource;
        try {
            resource = new Resource<>(acquire.run(), release, thread);
        } catch (Throwable t) {
            Engine.unmask(thread);
            throw t;
        }
        Engine.unmaskForHandoff(thread);
        return resource;
    }

    /**
     * Runs {@code task} with interrupts masked, like GHC's {@code uninterruptibleMask_} or
     * Kotlin's {@code NonCancellable}: no interrupt of this library arises inside it; one that
     * is due arises at the first sample after it. Masks nest. Keep masked code short: a task
     * that runs masked is not stopped by its limits.
     *
     * <pre>{@code
     * Masking.mask(() -> { journal.append(entry); index.put(entry.key(), entry); return null; });
     * }</pre>
     *
     * @param task the code to run masked
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return what {@code task} returned
     * @throws E what {@code task} threw
     */
    public static <T, E extends Exception> T mask(Task<T, E> task) throws E {
        if (task == null) {
            throw new NullPointerException("task must not be null");
        }
        ThreadLimits thread = Engine.mask();
        try {
            return task.run();
        } finally {
            Engine.unmask(thread);
        }
    }

    /**
     * Masks a package, and its subpackages, in every thread: no interrupt of this library arises
     * while a frame of it is on the stack; one that is due arises once the thread has left it,
     * at its next sample, checkpoint or wake-up. For libraries that keep shared state and are not
     * written to survive an exception at any allocation - an embedded database's storage engine,
     * say - when their calls cannot all be wrapped in {@link #mask}.
     *
     * <p>The price is the same as masking's: code that stays inside the package is not stopped
     * (a runaway query inside the storage engine runs to its end, or to the library's own
     * timeout). Mask the narrowest package that keeps the shared state: an SQL engine's storage
     * layer, not its query evaluator. Applies from the next sample on, for the JVM's lifetime or
     * until {@link #unmaskPackage}. Checked only when an interrupt is due, so it costs nothing
     * otherwise.
     * <pre>{@code
     * Masking.maskPackage("org.h2.mvstore");      // H2's storage engine and its transactions
     * }</pre>
     *
     * @param packageName a package name, such as {@code org.h2.mvstore}
     * @return whether it was not masked before
     * @throws IllegalArgumentException if {@code packageName} is not a package name (Java
     *         identifiers separated by dots)
     */
    public static boolean maskPackage(String packageName) {
        return Engine.maskPackage(checkedPackageName(packageName));
    }

    /**
     * Undoes {@link #maskPackage} for this exact name.
     *
     * @param packageName a package name
     * @return whether it was masked
     * @throws IllegalArgumentException if {@code packageName} is not a package name
     */
    public static boolean unmaskPackage(String packageName) {
        return Engine.unmaskPackage(checkedPackageName(packageName));
    }

    /** @return the packages masked by {@link #maskPackage}, sorted; an unmodifiable snapshot */
    public static Set<String> maskedPackages() {
        return Engine.maskedPackages();
    }

    private static String checkedPackageName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("packageName must be a package name, not null");
        }
        for (String part : name.split("\\.", -1)) {
            boolean valid = !part.isEmpty() && Character.isJavaIdentifierStart(part.charAt(0));
            for (int i = 1; valid && i < part.length(); i++) {
                valid = Character.isJavaIdentifierPart(part.charAt(i));
            }
            if (!valid) {
                throw new IllegalArgumentException("packageName must be Java identifiers separated by dots, such as "
                        + "org.h2.mvstore: \"" + name + "\"");
            }
        }
        return name;
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
