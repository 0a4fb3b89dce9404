package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memproflimits.AllocationWork.Progress;
import org.memproflimits.AllocationWork.Watched;

/**
 * Virtual threads, and threads reused after interrupts (a fixed pool; a virtual-thread-per-task
 * executor, whose carriers are reused).
 *
 * <h2>Statistical model and false-failure bounds</h2>
 * Heap samples fall on a thread's allocations as a Poisson process of mean spacing S bytes (the
 * sampling interval, 128 KiB by default), so P(no sample in x bytes) &lt;= exp(-x / S) and the
 * number of samples in V bytes is Poisson(V / S). HotSpot draws the distances with a fast
 * logarithm approximation; to stay on the safe side the Poisson bounds below are computed with
 * the mean lowered by 2 % for lower tails and raised by 2 % for upper tails.
 * <ul>
 *   <li>Platform threads count exactly: a task is never interrupted early; once due, it is
 *       interrupted at the next sample. Tests allow 32 S bytes for it: exp(-32) = 1.27e-14.</li>
 *   <li>Virtual threads have no per-thread counter: each sample counts S bytes, so a task under
 *       a limit of L bytes is interrupted at sample number floor(L / S) + 1, which may come
 *       early; and {@code Allocated.bytes} is the number of samples times S.</li>
 * </ul>
 * The virtual-thread tests need JDK 21 or later and are skipped (an assumption) on JDK 17; the
 * virtual threads are made by reflection, since this code compiles with {@code --release 17}.
 */
class ThreadReuseTest {

    private static final long MAX = MemprofLimits.MAX_ALLOCATION_LIMIT;
    private static final int LEN = 1024;
    private static long S;
    private static long SIZE;

    @BeforeAll
    static void calibrate() {
        SIZE = AllocationWork.calibratedArraySize(LEN);
        S = MemprofLimits.samplingInterval();
    }

    private static long arraysFor(long bytes) {
        return AllocationWork.arraysFor(bytes, SIZE);
    }

    private static void assumeVirtualThreads() {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21 or later");
    }

    /** Runs {@code body} in a new virtual thread and returns what it returned, or rethrows. */
    private static <T> T inVirtualThread(Callable<T> body) throws Exception {
        AtomicReference<T> value = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable r = () -> {
            try {
                if (!isVirtual(Thread.currentThread())) {
                    throw new AssertionError("not a virtual thread");
                }
                value.set(body.call());
            } catch (Throwable t) {
                failure.set(t);
            }
        };
        Thread t = (Thread) Thread.class.getMethod("startVirtualThread", Runnable.class)
                .invoke(null, r);
        t.join();
        if (failure.get() instanceof Exception e) {
            throw e;
        } else if (failure.get() instanceof Error e) {
            throw e;
        }
        return value.get();
    }

    /** Whether {@code t} is a virtual thread; false before JDK 21, which has none. */
    private static boolean isVirtual(Thread t) throws ReflectiveOperationException {
        if (Runtime.version().feature() < 21) {
            return false;
        }
        return (Boolean) Thread.class.getMethod("isVirtual").invoke(t);
    }

    // ------------------------------------------------------------------ Poisson tails

    /** log(j!) for j up to 100 000, accumulated once. */
    private static final double[] LOG_FACTORIAL = new double[100_001];

    static {
        for (int j = 2; j < LOG_FACTORIAL.length; j++) {
            LOG_FACTORIAL[j] = LOG_FACTORIAL[j - 1] + Math.log(j);
        }
    }

    /** log P(N = j) for N ~ Poisson(lambda). */
    private static double logPmf(long j, double lambda) {
        return -lambda + j * Math.log(lambda) - LOG_FACTORIAL[(int) j];
    }

    /** P(N &lt;= k) for N ~ Poisson(lambda), summed term by term (no cancellation). */
    static double poissonCdf(long k, double lambda) {
        double sum = 0;
        for (long j = 0; j <= k; j++) {
            sum += Math.exp(logPmf(j, lambda));
        }
        return sum;
    }

    /** P(N &gt;= k) for N ~ Poisson(lambda), summed term by term up to where terms vanish. */
    static double poissonSf(long k, double lambda) {
        double sum = 0;
        for (long j = k; j < k + 100 + 20 * (long) Math.sqrt(lambda + 1) + (long) lambda; j++) {
            sum += Math.exp(logPmf(j, lambda));
        }
        return sum;
    }

    // ------------------------------------------------------------------ virtual threads

    /**
     * A virtual thread is interrupted by its allocation limit. Limit L = 64 S (8 MiB at the
     * default S): the interrupt comes at sample 65. The loop gives up after 256 S bytes, and the
     * interrupt must not come before 16 S bytes. False failure, computed here at run time (at
     * any S, since the bounds are in units of S): P(Poisson(0.98 * 256) &lt;= 64) = 4.3e-45 plus
     * P(Poisson(1.02 * 16.1) &gt;= 65) = 1.6e-19 - the 16.1 allows for the engine's own
     * allocations inside the scope.
     */
    @Test
    void virtualThreadInterruptedByAllocationLimit() throws Exception {
        assumeVirtualThreads();
        double pLate = poissonCdf(64, 0.98 * 256);
        double pEarly = poissonSf(65, 1.02 * 16.1);
        assertTrue(pLate + pEarly < 1e-15, "bound " + pLate + " + " + pEarly);
        long limit = 64 * S;
        Progress p = new Progress();
        long until = arraysFor(256 * S);
        Result<Allocated<Object>> r = inVirtualThread(() -> MemprofLimits.limitAllocations(limit,
                () -> {
                    AllocationWork.arrays(p, LEN, until);
                    return null;
                }));
        String state = p.arrays + " arrays (" + p.arrays * SIZE / (double) S + " S)";
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r,
                "not interrupted after " + state);
        assertEquals(Limit.ALLOCATIONS, i.limit());
        assertTrue(p.arrays * SIZE >= 16 * S, "interrupted after only " + state);
    }

    /**
     * A virtual thread is interrupted by a token set from a platform thread. The setter sets
     * the token, then publishes how far the loop had got; the loop gives up (and the test fails)
     * 32 S bytes past that point. False failure &lt;= exp(-0.98 * 32) = 2.4e-14.
     */
    @Test
    void virtualThreadInterruptedByToken() throws Exception {
        assumeVirtualThreads();
        Token token = new Token();
        Watched w = new Watched();
        long more = arraysFor(32 * S);
        Thread setter = new Thread(() -> {
            while (w.arrays == 0) {
                Thread.onSpinWait();
            }
            token.set();
            w.arraysAtSet = w.arrays;
        }, "token-setter");
        setter.start();
        Result<Object> r = inVirtualThread(() -> MemprofLimits.limitWithToken(token, () -> {
            AllocationWork.arraysUntilTokenSeen(w, LEN, more, Long.MAX_VALUE);
            return "ran 32 S past the token";
        }));
        setter.join();
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, r.toString());
        assertEquals(Limit.TOKEN, i.limit());
    }

    /**
     * On a virtual thread {@code Allocated.bytes} is an estimate: a whole number of sampling
     * intervals (the number of samples), within a Poisson bound of the volume allocated. The
     * task allocates n = 2^18 arrays, V = n * 1040 bytes = 2080 S at the default S; the number of
     * samples is Poisson(V / S) (plus the engine's few hundred bytes in the scope). The accepted
     * range [lo, hi] is computed here so that P(N &lt; lo) under mean 0.98 V / S and
     * P(N &gt; hi) under mean 1.02 (V + 4 KiB) / S are each below 5e-11: false failure
     * &lt;= 1e-10. At the default S that is [1753, 2426] samples, i.e. 0.84 V to 1.17 V.
     */
    @Test
    void virtualThreadEstimateIsWithinItsPoissonBound() throws Exception {
        assumeVirtualThreads();
        long n = 1 << 18;
        double volume = n * (double) SIZE;
        double lowMean = 0.98 * volume / S;
        double highMean = 1.02 * (volume + 4096) / S;
        long lo = (long) lowMean;
        while (lo > 0 && poissonCdf(lo - 1, lowMean) > 5e-11) {
            lo--;
        }
        long hi = (long) highMean;
        while (poissonSf(hi + 1, highMean) > 5e-11) {
            hi++;
        }
        Progress p = new Progress();
        // The bounds are for samples at S; a running session profile samples more often (and
        // weighs each sample by its own interval), so it is paused for this measurement.
        boolean paused = org.memproflimits.testing.ProfileSessionListener.pause();
        Result<Allocated<Object>> r;
        try {
            r = inVirtualThread(() -> MemprofLimits.limitAllocations(MAX,
                    () -> {
                        AllocationWork.arrays(p, LEN, n);
                        return null;
                    }));
        } finally {
            if (paused) {
                org.memproflimits.testing.ProfileSessionListener.resume();
            }
        }
        long bytes = AllocationLimitTest.ok(r, "interrupted under the largest limit").bytes();
        assertEquals(0, bytes % S, "estimate " + bytes + " is not a multiple of S = " + S);
        long samples = bytes / S;
        assertTrue(samples >= lo && samples <= hi, "estimate " + bytes + " bytes = " + samples
                + " samples for " + (long) volume + " bytes allocated; accepted [" + lo + ", "
                + hi + "] samples");
    }

    /** What one sample weighs on a virtual thread: S, or a running session profile's interval. */
    private static long sampleWeight() {
        return org.memproflimits.testing.ProfileSessionListener.profile() != null
                ? org.memproflimits.testing.ProfileSessionListener.INTERVAL : S;
    }

    // ------------------------------------------------------------------ reuse after interrupts

    /**
     * A fixed pool of two platform threads runs 200 tasks: every fourth is interrupted by its
     * allocation limit (2 S), every fourth (offset 2) by a token it sets itself midway, and the odd
     * ones run normally. Every task, whatever came before it on its thread, starts with the
     * thread's interrupt status clear, no library interrupt pending and no mask; the normal ones
     * return their value and their count (exact up to the VM's rare own allocations,
     * {@code AllocationWork.VM_SLACK}). 100 interrupted tasks, each allowed 32 S bytes
     * past the point where its interrupt is due: false failure &lt;= 100 * exp(-31.99) = 1.3e-12.
     */
    @Test
    void fixedPoolIsReusableAfterInterrupts() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            runReuse(pool, false);
        } finally {
            pool.shutdown();
        }
    }

    /**
     * The same 200 tasks on a virtual-thread-per-task executor, whose carrier threads are
     * reused. On virtual threads the counts are estimates: the 50 allocation-limited tasks
     * (limit 2 S, interrupted at sample 3) give up 64 S bytes past the limit,
     * P(Poisson(0.98 * 64) &lt;= 2) = 4e-24 each; the 50 token tasks 32 S past the token,
     * exp(-0.98 * 32) = 2.4e-14 each; a normal task (about 0.2 S under a limit of 32 S) is
     * interrupted early only with 33 samples in 0.2 S, P(Poisson(0.21) &gt;= 33) &lt; 1e-50.
     * In all &lt;= 50 * 4e-24 + 50 * 2.4e-14 + 100 * 1e-50 = 1.2e-12.
     */
    @Test
    void virtualThreadExecutorIsReusableAfterInterrupts() throws Exception {
        assumeVirtualThreads();
        ExecutorService pool = (ExecutorService) Executors.class
                .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        try {
            runReuse(pool, true);
        } finally {
            pool.shutdown();
        }
    }

    private void runReuse(ExecutorService pool, boolean virtual) throws Exception {
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            futures.add(pool.submit(() -> {
                try {
                    reuseTask(n, virtual, failures);
                } catch (Throwable t) {
                    failures.add(n + ": " + t);
                }
            }));
        }
        for (Future<?> f : futures) {
            assertNull(f.get());
        }
        assertTrue(failures.isEmpty(), failures.size() + " failures: "
                + failures.stream().limit(5).toList());
    }

    private static void reuseTask(int n, boolean virtual, Queue<String> failures)
            throws ReflectiveOperationException {
        String who = n + " on " + Thread.currentThread() + ": ";
        if (isVirtual(Thread.currentThread()) != virtual) {
            failures.add(who + "wrong kind of thread");
        }
        if (Thread.interrupted()) {
            failures.add(who + "started with the thread's interrupt status set");
        }
        if (MemprofLimits.isInterrupted()) {
            failures.add(who + "started with a library interrupt pending");
        }
        if (Masking.isBlocked()) {
            failures.add(who + "started masked");
        }
        Progress p = new Progress();
        if (n % 4 == 0) {
            long limit = 2 * S;
            long until = arraysFor(limit + (virtual ? 64 : 32) * S);
            Result<Allocated<Object>> r = MemprofLimits.limitAllocations(limit, () -> {
                AllocationWork.arrays(p, LEN, until);
                return null;
            });
            if (!(r instanceof Result.Interrupted<Allocated<Object>> i)
                    || i.limit() != Limit.ALLOCATIONS) {
                failures.add(who + "not interrupted by its allocation limit: " + r);
            } else if (!virtual && (p.arrays + 1) * SIZE <= limit) {
                failures.add(who + "interrupted early, after " + p.arrays + " arrays");
            }
        } else if (n % 4 == 2) {
            Token token = new Token();
            long first = 100;
            long until = first + arraysFor(32 * S);
            Result<Object> r = MemprofLimits.limitWithToken(token, () -> {
                AllocationWork.arrays(p, LEN, first);
                token.set();
                AllocationWork.arrays(p, LEN, until);
                return null;
            });
            if (!(r instanceof Result.Interrupted<Object> i) || i.limit() != Limit.TOKEN) {
                failures.add(who + "not interrupted by its token: " + r);
            }
        } else {
            String value = "value of task " + n;
            Result<Allocated<String>> r = MemprofLimits.limitAllocations(32 * S, () -> {
                AllocationWork.arrays(p, LEN, 100);
                return value;
            });
            if (!(r instanceof Result.Ok<Allocated<String>> ok)) {
                failures.add(who + "a normal task was interrupted: " + r);
            } else if (ok.value().value() != value) {
                failures.add(who + "wrong value " + ok.value().value());
            } else if (!virtual && (ok.value().bytes() < 100 * SIZE
                    || ok.value().bytes() > 100 * SIZE + AllocationWork.VM_SLACK)) {
                failures.add(who + "count " + ok.value().bytes() + " for " + 100 * SIZE
                        + " bytes of arrays");
            } else if (virtual && ok.value().bytes() % sampleWeight() != 0) {
                failures.add(who + "estimate " + ok.value().bytes() + " not a multiple of "
                        + sampleWeight());
            }
        }
        if (Thread.currentThread().isInterrupted()) {
            failures.add(who + "ended with the thread's interrupt status set");
        }
        if (MemprofLimits.isInterrupted() || Masking.isBlocked()) {
            failures.add(who + "ended with an interrupt pending or masked");
        }
    }
}
