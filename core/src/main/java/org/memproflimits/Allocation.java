package org.memproflimits;

import java.util.List;

/**
 * One sampled allocation, as a {@link Tracker} sees it.
 *
 * <p>{@code weight} is the number of bytes this sample stands for in an unbiased estimate of
 * allocation: HotSpot samples each byte with probability 1/interval, so an object of
 * {@code size} bytes is sampled with probability {@code 1 - exp(-size/interval)} and a sample of
 * it stands for {@code size / (1 - exp(-size/interval))} bytes - about one interval for small
 * objects, about {@code size} for objects much larger than the interval. Summing weights gives
 * the estimated bytes allocated.
 *
 * <pre>{@code
 * Tracker<Void> perClass = a -> { bytesByClass.merge(a.type(), a.weight(), Long::sum); return null; };
 * }</pre>
 *
 * @param size the object's size in bytes
 * @param type the object's class
 * @param thread the allocating thread
 * @param stack the innermost frames of the allocating thread, innermost first, at most the
 *        profile's callstack size
 * @param weight bytes of allocation this sample stands for
 */
public record Allocation(long size, Class<?> type, Thread thread, List<StackTraceElement> stack,
        long weight) {
}
