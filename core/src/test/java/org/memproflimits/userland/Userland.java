package org.memproflimits.userland;

/**
 * Allocation helpers for the tests, outside the package {@code org.memproflimits}, as a user's
 * code is.
 *
 * <p>Two reasons. Every array allocated here escapes to {@link #sink}, so the JIT cannot remove
 * the allocation (C2 eliminates allocations whose result is unused, and a garbage loop written
 * naively then allocates nothing once compiled - no samples, no interrupt). And the package: the
 * engine used to refuse to raise at allocations of any class in package {@code org.memproflimits}
 * (fixed by 4dcf0b6, see RaiseSiteTest), so code that must be interruptible at its own
 * allocations lives here, whatever that rule becomes.
 */
public final class Userland {
    /**
     * Every array these helpers allocate is stored here, so that it escapes and the JIT cannot
     * remove its allocation (C2 eliminates allocations whose result is unused).
     */
    public static Object sink;

    private Userland() {
    }

    /** @return {@code new byte[n]} */
    public static byte[] bytes(int n) {
        byte[] b = new byte[n];
        sink = b;
        return b;
    }

    /**
     * Allocates {@code total} bytes of garbage in arrays of {@code size} bytes.
     *
     * @return the bytes allocated (at least {@code total})
     */
    public static long churn(long total, int size) {
        long done = 0;
        while (done < total) {
            sink = new byte[size];
            done += size;
        }
        return done;
    }

    /**
     * Allocates {@code total} bytes in arrays of {@code size} bytes kept in a ring of
     * {@code slots}: each array lives until {@code slots * size} more bytes are allocated, so it
     * survives a young collection or two and then dies.
     *
     * @return the bytes allocated
     */
    public static long ring(int slots, int size, long total) {
        byte[][] ring = new byte[slots][];
        long done = 0;
        int i = 0;
        while (done < total) {
            ring[i] = new byte[size];
            i = i + 1 == slots ? 0 : i + 1;
            done += size;
        }
        return done;
    }
}
