package org.memproflimits;

import org.memproflimits.internal.Engine;
import org.memproflimits.internal.ThreadLimits;

/**
 * A resource acquired with {@link Masking#acquire}, released masked and exactly once by
 * {@link #close()}.
 *
 * <pre>{@code
 * try (Resource<java.util.concurrent.locks.Lock> held = Masking.acquire(
 *         () -> { lock.lock(); return lock; }, java.util.concurrent.locks.Lock::unlock)) {
 *     mutateSharedState();                 // interruptible; the lock is released whatever happens
 * }
 * }</pre>
 *
 * @param <R> the resource type
 */
public final class Resource<R> implements AutoCloseable {
    private final R value;
    private final Masking.Release<? super R> release;
    private final ThreadLimits thread;
    private boolean closed;

    Resource(R value, Masking.Release<? super R> release, ThreadLimits thread) {
        this.value = value;
        this.release = release;
        this.thread = thread;
    }

    /**
     * @return the acquired resource
     * @throws IllegalStateException if the resource was closed
     */
    public R get() {
        if (closed) {
            throw new IllegalStateException("the resource was closed");
        }
        return value;
    }

    /**
     * Releases the resource with interrupts masked, the first time; later calls do nothing.
     *
     * @throws IllegalStateException if called from another thread than the one that acquired it
     *         (the resource is then not released)
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (thread.owner() != Thread.currentThread()) {
            throw new IllegalStateException("a Resource must be closed by the thread that acquired it ("
                    + thread.owner() + "), not " + Thread.currentThread());
        }
        closed = true;
        Engine.remaskHeld(thread);
        try {
            release.release(value);
        } finally {
            Engine.unmask(thread);
        }
    }
}
