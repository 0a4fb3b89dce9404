package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memproflimits.AllocationWork.Progress;
import org.memproflimits.AllocationWork.Watched;

/**
 * The seed library's test programs (seed spec, section 6, items 1, 2 and 4; item 3, the exact
 * count, is {@code AllocationLimitTest#exactCount}), ported to this engine's model.
 *
 * <h2>Statistical model and false-failure bounds</h2>
 * The seed calibrated each test to a false-failure probability of about 1e-14 at its sampling
 * rate; here every test is calibrated to at most 1e-9 in all, with the bounds computed in each
 * test's comment. Heap samples fall on a thread's allocations as a Poisson process of mean
 * spacing S bytes (the sampling interval, 128 KiB by default; HotSpot draws exponential
 * distances truncated at about 18 S, which only makes gaps shorter), so by memorylessness
 * <pre>   P(no sample in x bytes allocated from any given point) &lt;= exp(-x / S).</pre>
 * On platform threads the allocation count is exact (the JDK's per-thread counter): an
 * allocation limit is never reached early, so "must not be interrupted yet" checks are
 * deterministic; only "must be interrupted by now" checks are statistical. Numbers used below:
 * exp(-30) = 9.36e-14 and exp(-32) = 1.27e-14. The arrays the loops allocate are 1040 bytes
 * (under 0.01 S), which the bounds account for.
 */
class SeedScenariosTest {

    private static final long MAX = MemprofLimits.MAX_ALLOCATION_LIMIT;
    private static final long MiB = 1L << 20;
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

    /**
     * Seed test 1: inside {@code limitGlobalMemory}, the global limit is set to 0 bytes, then the
     * task allocates 32 S bytes (4 MiB at the default S; the seed allocated 15 ln 10 / p words,
     * 34.5 of its intervals). The heap's occupancy is above 0 at every sample, so the first
     * sample interrupts: false failure = P(no sample in 32 S bytes) &lt;= exp(-32) = 1.27e-14.
     * (This assumes the engine's heap reading is above 0 bytes at each sample, which holds
     * unless a stale post-collection figure exceeds the current use while the old generation is
     * empty: a few milliseconds after a collection, and only if nothing was ever promoted.)
     */
    @Test
    void globalLimitZeroInterruptsTheTask() {
        Progress p = new Progress();
        long until = arraysFor(32 * S);
        try {
            Result<String> r = MemprofLimits.limitGlobalMemory(() -> {
                MemprofLimits.setGlobalMemoryLimit(0);
                AllocationWork.arrays(p, LEN, until);
                return "not stopped";
            });
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r,
                    "not interrupted after " + p.arrays * SIZE + " bytes over a global limit of 0");
            assertEquals(Limit.GLOBAL_MEMORY, i.limit());
        } finally {
            MemprofLimits.setGlobalMemoryLimit(-1);
        }
    }

    // ------------------------------------------------------------------ seed test 2

    /*
     * Seed test 2: many threads, each running limitAllocations(limit) whose task makes two
     * nested limitAllocations(MAX_ALLOCATION_LIMIT) calls, which must not disturb the count:
     *   - the first allocates `safe` bytes and must return Ok (seed: "stopped too early");
     *   - the second allocates on, up to `stop` bytes in all, and must return Interrupted
     *     (seed: "not stopped inside nested"); no exception may escape it;
     *   - then even-numbered threads allocate `extra` bytes more and must be interrupted (seed:
     *     "not stopped"); odd ones return normally; the outer result must be Interrupted either
     *     way (seed: "not stopped after returning"), with no exception escaping it.
     *
     * Sizes. The seed used (safe, limit, stop) of (122.29, 133.75, 139.41) Mw x 20 threads,
     * (5.46, 7.5, 9.6) Mw x 300 and (0.0046, 0.125, 0.596) Mw x 2000: about 160 GB in all, and
     * `safe` far below `limit` because its count was itself a sample estimate. Here the count is
     * exact, so:
     *   safe  = limit - 64 KiB, deterministic: the outer scope's other allocations before the
     *           first nested call returns are the engine's bookkeeping (scope objects, result
     *           records: a few hundred bytes; the nested tasks are created before the outer call,
     *           since linking a lambda's call site allocates some 20 KB) and, rarely, what the VM
     *           allocates on the thread's behalf (up to 896 bytes seen; AllocationWork.warmUp);
     *   stop  = limit + 30 S: the outer budget is crossed by an array of the second nested call,
     *           so that call has at least 30 S - 1040 bytes after the crossing to be interrupted:
     *           P(miss) <= exp(-(30 S - 1040) / S) = 9.38e-14;
     *   extra = 30 S: P(miss) <= exp(-30) = 9.36e-14.
     * Per thread: 1.88e-13 for an even one, 9.4e-14 for an odd one. A thread allocates about
     * limit + 1 S (odd) or limit + 2 S (even) on average, since interrupts come about S after
     * they are due: about 2.6 GB for each of the three runs below.
     */

    /*
     * Known failure, in all three, on the engine of commit 7a7f064 (fixed on main by 7fba797):
     * when the second nested call's interrupt ends its task, the outer limit is reached at the
     * same sample, and a sample that falls on the engine's
     * allocation of the nested call's Interrupted result (24 bytes, after the nested scope is
     * popped, unmasked) raises the outer interrupt inside the nested limit function, which then
     * throws instead of returning: about 24 / S = 4.6e-5 per thread, so about 9 % per run of
     * the 2000-thread test, sometimes more ("an exception escaped the second nested call"; in 24
     * runs of this class on JDK 17, G1 and Parallel, the 2000-thread test failed once and the
     * 300-thread test twice, losing 4 and 5 threads at once; none in 20 runs on JDK 25).
     * NestedLimitResultTest shows it reliably. The bounds below are those of a correct engine.
     */

    /** 20 threads, limit 128 MiB. False failure &lt;= 10 * 1.88e-13 + 10 * 9.4e-14 = 2.8e-12. */
    @Test
    void concurrentNestedLimits20Threads() throws InterruptedException {
        concurrentNested(20, 128 * MiB);
    }

    /** 300 threads, limit 8 MiB. False failure &lt;= 150 * (1.88e-13 + 9.4e-14) = 4.2e-11. */
    @Test
    void concurrentNestedLimits300Threads() throws InterruptedException {
        concurrentNested(300, 8 * MiB);
    }

    /**
     * 2000 threads, limit 1 MiB (2 S), with 256 KiB stacks. False failure
     * &lt;= 1000 * (1.88e-13 + 9.4e-14) = 2.8e-10.
     */
    @Test
    void concurrentNestedLimits2000Threads() throws InterruptedException {
        concurrentNested(2000, MiB);
    }

    private void concurrentNested(int threads, long limit) throws InterruptedException {
        long safeArrays = (limit - 64 * 1024) / SIZE;
        long stopArrays = arraysFor(limit + 30 * S);
        long extraArrays = arraysFor(30 * S);
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int n = i;
            Thread t = new Thread(null, () -> {
                try {
                    go.await();
                    oneThread(n, limit, safeArrays, stopArrays, extraArrays, failures);
                } catch (Throwable e) {
                    failures.add(n + ": " + e);
                }
            }, "seed-test-2-" + i, 256 * 1024);
            all.add(t);
            t.start();
        }
        go.countDown();
        for (Thread t : all) {
            t.join();
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + threads
                + " threads failed (limit " + limit + ", safe " + safeArrays * SIZE + ", stop "
                + stopArrays * SIZE + "): " + failures.stream().limit(5).toList());
    }

    private static void oneThread(int n, long limit, long safeArrays, long stopArrays,
            long extraArrays, Queue<String> failures) {
        boolean even = n % 2 == 0;
        Progress p = new Progress();
        Progress extra = new Progress();
        AtomicReference<Result<Allocated<Object>>> first = new AtomicReference<>();
        AtomicReference<Result<Allocated<Object>>> second = new AtomicReference<>();
        boolean[] notStopped = {false};
        Task<Object, RuntimeException> safeTask = () -> {
            AllocationWork.arrays(p, LEN, safeArrays);
            return null;
        };
        Task<Object, RuntimeException> stopTask = () -> {
            AllocationWork.arrays(p, LEN, stopArrays);
            return null;
        };
        Task<Object, RuntimeException> outerTask = () -> {
            first.set(MemprofLimits.limitAllocations(MAX, safeTask));
            second.set(MemprofLimits.limitAllocations(MAX, stopTask));
            if (even) {
                AllocationWork.arrays(extra, LEN, extraArrays);
                notStopped[0] = true;
            }
            return null;
        };
        Result<Allocated<Object>> outer;
        try {
            outer = MemprofLimits.limitAllocations(limit, outerTask);
        } catch (Throwable e) {
            failures.add(n + ": an exception escaped the outer call (its flag was not set): " + e
                    + "; first " + first.get() + ", second " + second.get());
            return;
        }
        String state = n + ": " + p.arrays + " arrays, then " + extra.arrays + " more; ";
        Result<Allocated<Object>> r1 = first.get();
        if (!(r1 instanceof Result.Ok<Allocated<Object>> ok)) {
            failures.add(state + "stopped too early: " + r1);
            return;
        }
        long c1 = ok.value().bytes();
        if (c1 < safeArrays * SIZE || c1 > safeArrays * SIZE + AllocationWork.VM_SLACK) {
            failures.add(state + "first nested count " + c1 + " for " + safeArrays * SIZE
                    + " bytes of arrays");
        }
        Result<Allocated<Object>> r2 = second.get();
        if (r2 == null) {
            failures.add(state + "an exception escaped the second nested call instead of its "
                    + "Interrupted result (see NestedLimitResultTest); outer result " + outer);
        } else if (!(r2 instanceof Result.Interrupted<Allocated<Object>> i2)
                || i2.limit() != Limit.ALLOCATIONS) {
            failures.add(state + "not stopped inside nested: " + r2);
        }
        if (notStopped[0]) {
            failures.add(state + "not stopped");
        }
        if (!(outer instanceof Result.Interrupted<Allocated<Object>> io)
                || io.limit() != Limit.ALLOCATIONS) {
            failures.add(state + "not stopped after returning: " + outer);
        }
    }

    // ------------------------------------------------------------------ seed test 4

    /**
     * Seed test 4: {@code limitWithToken} around a task that starts a thread and then runs an
     * allocating loop inside {@code limitAllocations(10 GiB)}; the thread sets the token about
     * 100 ms later (the seed waited 1 s). The token's interrupt must escape the inner allocation
     * limit - which was not reached, so it must not capture it - and the outer result must be
     * {@code Interrupted(TOKEN)}, not {@code Ok(Interrupted)} (the inner call never returns).
     *
     * <p>No dependence on scheduling: the setter sets the token, then publishes how far the loop
     * had got; the loop gives up (and the test fails) only after allocating 32 S bytes past that
     * point, so at least 32 S after the token was set: false failure &lt;= exp(-32) = 1.27e-14.
     * Should the setter be held up, the loop waits, without allocating, once it has allocated
     * 8 GiB, so it cannot reach the inner limit of 10 GiB whatever the delay.
     */
    @Test
    void tokenFromAnotherThreadEscapesAnInnerAllocationLimit() throws InterruptedException {
        Token token = new Token();
        Watched w = new Watched();
        long more = arraysFor(32 * S);
        long pause = (8L << 30) / SIZE;
        AtomicReference<Throwable> setterFailure = new AtomicReference<>();
        Thread setter = new Thread(() -> {
            try {
                while (w.arrays == 0) {
                    Thread.onSpinWait();
                }
                Thread.sleep(100);
                token.set();
                w.arraysAtSet = w.arrays;
            } catch (Throwable e) {
                setterFailure.set(e);
                w.arraysAtSet = w.arrays;
            }
        }, "token-setter");
        boolean[] innerReturned = {false};
        Task<Object, RuntimeException> loop = () -> {
            AllocationWork.arraysUntilTokenSeen(w, LEN, more, pause);
            return null;
        };
        Result<Result<Allocated<Object>>> r = MemprofLimits.limitWithToken(token, () -> {
            setter.start();
            Result<Allocated<Object>> inner = MemprofLimits.limitAllocations(10L << 30, loop);
            innerReturned[0] = true;
            return inner;
        });
        setter.join();
        assertNull(setterFailure.get());
        assertFalse(innerReturned[0], "the inner allocation limit captured the token's interrupt, "
                + "or the loop ran 32 S bytes past the token without an interrupt: " + r);
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, r.toString());
        assertEquals(Limit.TOKEN, i.limit());
        assertTrue(w.arrays * SIZE < 10L << 30);
    }
}
