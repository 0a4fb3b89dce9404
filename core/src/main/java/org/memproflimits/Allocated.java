package org.memproflimits;

/**
 * The value of a task run by {@link MemprofLimits#limitAllocations} with the bytes it allocated.
 *
 * <p>On platform threads {@code bytes} is the exact number of heap bytes the thread allocated
 * between the start and the end of the task (object headers and padding included); on virtual
 * threads, where the JDK keeps no per-thread counter, it is an unbiased estimate (the number of
 * heap samples the task hit times the sampling interval).
 *
 * <pre>{@code
 * Result<Allocated<int[]>> r = MemprofLimits.limitAllocations(1 << 20, () -> new int[1000]);
 * long used = r.orElseThrow().bytes();   // 4016 on a 64-bit HotSpot with compressed oops
 * }</pre>
 *
 * @param value what the task returned
 * @param bytes heap bytes the task allocated
 * @param <T> the task's value type
 */
public record Allocated<T>(T value, long bytes) {
}
