package org.memproflimits;

/**
 * What a {@link Memprof} profile does with the allocations it samples.
 *
 * <p>{@link #onAlloc} runs in the allocating thread, at the sampled allocation; it should be
 * quick and must not block or wait for other threads (the thread may hold locks, including the
 * JVM's class loading locks). No interrupt of this library arises inside it. Allocations made
 * while interrupts are {@linkplain Masking masked} are not reported, nor is the sample at which a
 * limit interrupts a task. {@link #onFree} runs later, in the profile's cleaner thread, once the
 * object for which {@code onAlloc} returned a non-null value has been collected.
 *
 * <pre>{@code
 * Tracker<Long> live = new Tracker<>() {
 *     public Long onAlloc(Allocation a) { liveBytes.add(a.weight()); return a.weight(); }
 *     public void onFree(Long weight) { liveBytes.add(-weight); }
 * };
 * }</pre>
 *
 * @param <T> what is kept for a tracked object until it is freed
 */
public interface Tracker<T> {
    /**
     * A sampled allocation.
     *
     * @param allocation the sample
     * @return a value to track the object with, handed to {@link #onFree} once it is collected;
     *         or {@code null} not to track it
     */
    T onAlloc(Allocation allocation);

    /**
     * A tracked object was collected. Default: nothing.
     *
     * @param tracked what {@link #onAlloc} returned for it
     */
    default void onFree(T tracked) {
    }
}
