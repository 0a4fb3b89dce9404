package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

/**
 * Allocating loops for the allocation-limit tests, with counters that the tests read after an
 * interrupt.
 *
 * <p>Each loop stores every new object into a field of an object that escapes, so that no JIT
 * compiler can remove the allocation; and counts completed allocations in a field, so that after
 * an interrupt {@code count * size} is a lower bound of what the loop allocated, and
 * {@code (count + 1) * size} is a lower bound of what the thread had allocated when the interrupt
 * arose (the interrupt arises at an allocation, after the object exists).
 */
final class AllocationWork {
    private AllocationWork() {
    }

    /**
     * Bytes the VM may charge to a thread once in a while, beyond what its code allocates: see
     * {@link #warmUp}. Seen: up to 896 bytes, once per class or method and JVM. Counts that a
     * test checks may exceed the task's own allocation by this much at most; the exact-count
     * test requires exact equality in most of its runs instead.
     */
    static final long VM_SLACK = 16 * 1024;

    /** A loop's progress; read by the thread that ran the loop. */
    public static final class Progress {
        /** Arrays allocated so far by the loops given this object. */
        public long arrays;
        /** Keeps the last array reachable from the heap, so that it escapes. */
        public Object sink;
    }

    /** A loop's progress, published to other threads, for token tests. */
    public static final class Watched {
        /** Arrays allocated so far; written by the looping thread only. */
        public volatile long arrays;
        /** Set by the token's setter after it set the token: {@link #arrays}, read then. */
        public volatile long arraysAtSet = -1;
        /** Keeps the last array reachable. */
        public Object sink;
    }

    /**
     * Allocates {@code byte[length]} arrays until {@code p.arrays} reaches {@code untilArrays}.
     * Used by every test that wants a warm (JIT-compiled) loop.
     */
    public static void arrays(Progress p, int length, long untilArrays) {
        while (p.arrays < untilArrays) {
            p.sink = new byte[length];
            p.arrays++;
        }
    }

    /**
     * The same loop as {@link #arrays}, called only by the test that wants it cold: its first
     * tens of thousands of iterations run in the interpreter.
     */
    public static void arraysCold(Progress p, int length, long untilArrays) {
        while (p.arrays < untilArrays) {
            p.sink = new byte[length];
            p.arrays++;
        }
    }

    /**
     * Allocates {@code byte[length]} arrays until {@code more} arrays were allocated after a
     * token's setter published {@link Watched#arraysAtSet}. If the setter has not published it
     * once {@code pauseAtArrays} arrays are allocated, it waits without allocating until it does:
     * so the loop cannot outrun an enclosing allocation limit however late the setter runs, and
     * no part of a test depends on how threads are scheduled.
     *
     * <p>The setter must set the token first, then publish a value of {@code arrays} read after
     * that: then, when this method returns, at least {@code more} arrays were allocated after the
     * token was set.
     */
    public static void arraysUntilTokenSeen(Watched w, int length, long more, long pauseAtArrays) {
        long a = w.arrays;
        while (true) {
            w.sink = new byte[length];
            w.arrays = ++a;
            long at = w.arraysAtSet;
            if (at >= 0) {
                if (a - at >= more) {
                    return;
                }
            } else if (a >= pauseAtArrays) {
                while (w.arraysAtSet < 0) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** Allocates one {@code byte[length]}, kept in {@code p.sink}. */
    public static void oneArray(Progress p, int length) {
        p.sink = new byte[length];
    }

    /** Allocates one {@code int[length]}, kept in {@code p.sink}. */
    public static void oneIntArray(Progress p, int length) {
        p.sink = new int[length];
    }

    /** Allocates one {@code Object}, kept in {@code p.sink}. */
    public static void oneObject(Progress p) {
        p.sink = new Object();
    }

    /**
     * The exact-count workload: {@code rounds} times an {@code Object}, a {@code byte[1000]} and
     * an {@code int[100]}; and every 1024 rounds, one {@code byte[600_000]}, larger than half a
     * G1 region of a 512 MiB heap (a humongous object allocated outside any TLAB).
     */
    public static void mixed(Progress p, int rounds) {
        for (int i = 0; i < rounds; i++) {
            p.sink = new Object();
            p.sink = new byte[1000];
            p.sink = new int[100];
            if ((i & 1023) == 1023) {
                p.sink = new byte[600_000];
            }
            p.arrays++;
        }
    }

    /** The number of {@code byte[600_000]} arrays {@link #mixed} allocates for {@code rounds}. */
    public static int mixedLargeArrays(int rounds) {
        return rounds / 1024;
    }

    /**
     * Warms up the engine and the loops outside any measured window, once per test JVM, so that
     * HotSpot's one-time work is not charged to a task whose count a test checks exactly.
     *
     * <p>Why: the counter that {@code Allocated.bytes} reads is the JDK's count of everything
     * the thread allocated, including what the VM allocates on the thread's behalf. When a
     * thread's invocation counters make it request a C2 compilation, HotSpot resolves every
     * string constant of the method's class in that thread (CompileBroker::compile_method
     * calls ConstantPool::resolve_string_constants for C2): one String and one byte[] per
     * constant never executed so far - error messages, mostly. Measured in the 2000-thread seed
     * test: 120, 688 or 896 bytes more than the task's arrays, in one or two threads of a fresh
     * JVM, never with -Xint or C1 only; the strings were those of ThreadImpl (its "... is not
     * supported" messages) and of this class. Class loading and deoptimization (reallocation of
     * scalar-replaced objects) are charged the same way. Each happens once per class or
     * method and JVM, so running the engine's paths, the interrupts of each kind and the loops
     * some ten thousand times first makes such events rare in later measured windows. Not
     * impossible: on JDK 25 an 896-byte excess was still seen once in 8 runs of the 2000-thread
     * seed scenario after this warm-up (which classes' first C2 request it was is not known);
     * hence {@link #VM_SLACK}.
     */
    static void warmUp() {
        for (int i = 0; i < 20_000; i++) {
            MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT, () -> null);
            MemprofLimits.limitWithToken(new Token(), () -> null);
            MemprofLimits.limitGlobalMemory(() -> null);
        }
        Progress p = new Progress();
        for (int i = 0; i < 20_000; i++) {
            p.arrays = 0;
            arrays(p, 16, 50);
        }
        long margin = 32 * MemprofLimits.samplingInterval();
        // One interrupt of each kind (each allowed 32 sampling intervals; if one does not come,
        // the warm-up just ends).
        MemprofLimits.limitAllocations(0, () -> {
            arrays(new Progress(), 1024, margin / 1024);
            return null;
        });
        Token token = new Token();
        token.set();
        MemprofLimits.limitWithToken(new Token(),
                () -> MemprofLimits.limitWithToken(token, () -> 1));
        Token late = new Token();
        MemprofLimits.limitWithToken(late, () -> {
            late.set();
            arrays(new Progress(), 1024, margin / 1024);
            return null;
        });
        try {
            MemprofLimits.limitGlobalMemory(() -> {
                MemprofLimits.setGlobalMemoryLimit(0);
                arrays(new Progress(), 1024, margin / 1024);
                return null;
            });
        } finally {
            MemprofLimits.setGlobalMemoryLimit(-1);
        }
    }

    /**
     * Starts the engine, warms it up ({@link #warmUp}) and returns the heap bytes of one
     * {@code byte[length]}, measured; asserts it is below S / 100, which the tests' bounds assume.
     */
    static long calibratedArraySize(int length) {
        MemprofLimits.start();
        warmUp();
        long size = measuredSize(p -> oneArray(p, length));
        assertTrue(size < MemprofLimits.samplingInterval() / 100,
                "the bounds assume arrays much smaller than S");
        return size;
    }

    /** The number of arrays of {@code size} heap bytes that allocate at least {@code bytes}. */
    static long arraysFor(long bytes, long size) {
        return (bytes + size - 1) / size;
    }

    /**
     * The bytes that one call of {@code allocation} allocates, measured twice and independently:
     * as {@link Allocated#bytes()} of a task that runs it once, minus that of an empty task; and
     * with {@code com.sun.management.ThreadMXBean}, the JDK's own per-thread counter. Both must
     * agree (on a platform thread). Warms the path first, so that no class loading or linkage
     * is counted.
     */
    public static long measuredSize(java.util.function.Consumer<Progress> allocation) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Progress p = new Progress();
        long viaLibrary = -1;
        long viaJdk = -1;
        for (int i = 0; i < 5; i++) {
            Result<Allocated<Object>> empty = MemprofLimits.limitAllocations(
                    MemprofLimits.MAX_ALLOCATION_LIMIT, () -> null);
            Result<Allocated<Object>> one = MemprofLimits.limitAllocations(
                    MemprofLimits.MAX_ALLOCATION_LIMIT, () -> {
                        allocation.accept(p);
                        return null;
                    });
            viaLibrary = one.orElseThrow().bytes() - empty.orElseThrow().bytes();
            // The JDK's counter also counts what a running profile allocates at its samples
            // (the library keeps that out of Allocated.bytes): measure with the session
            // profile, if any, paused.
            boolean paused = org.memproflimits.testing.ProfileSessionListener.pause();
            try {
                long before = threads.getCurrentThreadAllocatedBytes();
                allocation.accept(p);
                long after = threads.getCurrentThreadAllocatedBytes();
                viaJdk = after - before;
            } finally {
                if (paused) {
                    org.memproflimits.testing.ProfileSessionListener.resume();
                }
            }
        }
        if (viaLibrary != viaJdk) {
            throw new AssertionError("one allocation measures " + viaLibrary
                    + " bytes with Allocated.bytes but " + viaJdk + " with ThreadMXBean");
        }
        return viaLibrary;
    }
}
