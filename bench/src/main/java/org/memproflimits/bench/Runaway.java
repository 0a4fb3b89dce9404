package org.memproflimits.bench;

/**
 * Runaway code at a chosen allocation rate: it allocates 4 KiB chunks forever and busy-spins
 * between them to hold the rate, never looks at its interrupt status, never returns. Only
 * something that stops it from inside its own thread - the library's interrupt - ends it.
 */
final class Runaway {
    /** Array length whose footprint is 4096 bytes (16-byte array header). */
    static final int CHUNK_LENGTH = 4096 - 16;
    static final long CHUNK_BYTES = 4096;
    /** If the thread falls behind its schedule by more than this (preempted), rebase. */
    private static final long MAX_CATCH_UP_NS = 2_000_000;

    static volatile Object sink;
    static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /** Nanoseconds per byte, or 0 for as fast as possible. */
    private final double nsPerByte;
    /** Bytes allocated so far, for the monitor: it is alive and how fast. */
    volatile long allocated;
    /** When it started, System.nanoTime(). */
    volatile long startedAt;
    /** The thread's CPU time when it started. */
    volatile long startedCpu;
    volatile Thread thread;

    /** @param bytesPerSecond the target rate, or 0 or less for unthrottled */
    Runaway(double bytesPerSecond) {
        this.nsPerByte = bytesPerSecond > 0 ? 1e9 / bytesPerSecond : 0;
    }

    long run() {
        Object[] ring = new Object[64];
        sink = ring;
        long bytes = 0;
        int i = 0;
        long base = System.nanoTime();
        thread = Thread.currentThread();
        startedCpu = THREADS.getCurrentThreadCpuTime();
        startedAt = base;
        while (true) {
            ring[i++ & 63] = new byte[CHUNK_LENGTH];
            bytes += CHUNK_BYTES;
            allocated = bytes;
            if (nsPerByte > 0) {
                long due = base + (long) (bytes * nsPerByte);
                long now = System.nanoTime();
                if (now - due > MAX_CATCH_UP_NS) {
                    base = now - (long) (bytes * nsPerByte);   // no burst after a preemption
                } else {
                    while (now - due < 0) {
                        Thread.onSpinWait();
                        now = System.nanoTime();
                    }
                }
            }
        }
    }

    /** Waits (sleeping, not spinning: two cores) until the runaway has allocated something. */
    void awaitRunning() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (allocated == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("runaway did not start within 10 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }
}
