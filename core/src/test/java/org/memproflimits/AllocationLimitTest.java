package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.memproflimits.AllocationWork.Progress;

/**
 * Allocation limits on platform threads: the exact count, when a task is interrupted, nesting,
 * argument checks, and what propagates out of a limit.
 *
 * <h2>The statistical model, and every false-failure bound of this class</h2>
 * On a platform thread the engine reads the JDK's exact per-thread allocation counter at heap
 * samples. So a task is never interrupted before it has allocated more than its limit (tested
 * deterministically, no probability involved), and once it has, it is interrupted at the next
 * sample taken at one of its allocations. HotSpot places samples at allocations by drawing the
 * distance, in bytes, to the next one from an exponential distribution of mean S (the sampling
 * interval, 128 KiB by default; truncated at about 18 S by HotSpot, which only shortens it):
 * memorylessness makes the distance from any point to the next sample Exp(mean S) too, so
 * <pre>   P(no sample in the next x bytes) &lt;= exp(-x / S).</pre>
 * Every test that expects an interrupt lets the task allocate {@code MARGIN = 32 S} bytes
 * (4 MiB at the default S) past the point where the interrupt became due - counted from the
 * first allocation that took the task over its limit, whose size (1040 bytes = 0.008 S at 128 KiB) the
 * loops account for - and fails if the task got through them:
 * <pre>   P(one such run fails) &lt;= exp(-(32 S - 1040) / S) &lt;= exp(-31.99) = 1.28e-14.</pre>
 * The tests of this class make at most 40 such runs in all (counted at each test), so by the
 * union bound the whole class fails falsely with probability at most 40 * 1.28e-14 = 5.1e-13,
 * and each test far below 1e-9. The allocating loops are in {@link AllocationWork}.
 *
 * <p>"Exact" means the JDK's per-thread counter, which also counts what the VM allocates on the
 * thread's behalf once in a while (see {@link AllocationWork#warmUp}); count checks allow
 * {@link AllocationWork#VM_SLACK} for it, except the exact-count test.
 *
 * <p>Bounds are those of a correct engine. Two library bugs, found with these tests on the
 * engine of commit 7a7f064 (with 4dcf0b6) and fixed on main by commit 7fba797, make tests here
 * fail on that engine: {@link #taskAllocatingNothingIsNeverInterruptedEvenUnderLimitZero}
 * (always; the same bug can fail {@link #neverInterruptedBeforeAllocatingMoreThanTheLimit},
 * about 1e-4 per run) and, via the bug shown by {@link NestedLimitResultTest},
 * {@link #innerLimitNeverExtendsOuter} (about 1e-4 per run). A third, found on ZGC (one task
 * in 10^6 Interrupted in about one run of four of
 * {@link #taskAllocatingNothingIsNeverInterruptedEvenUnderLimitZero}): the engine read the
 * task's count after it returned but before masking, and the JDK's counter read could make
 * HotSpot resolve a class's string constants in that window (on the C2 compilation request of
 * sun.management.ThreadImpl), so a sample of those bytes marked the scope. The count is now read
 * masked, and the engine's warm-up has those compilations requested before any task runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AllocationLimitTest {

    private static final long MAX = MemprofLimits.MAX_ALLOCATION_LIMIT;
    private static final long MiB = 1L << 20;
    /** Length of the arrays the loops allocate. */
    private static final int LEN = 1024;

    /** The sampling interval in force. */
    private static long S;
    /** Bytes past the due point that a task may allocate before a missing interrupt fails. */
    private static long MARGIN;
    /** Heap bytes of one {@code byte[LEN]}, measured (1040 on 64-bit HotSpot). */
    private static long SIZE;

    @BeforeAll
    static void calibrate() {
        SIZE = AllocationWork.calibratedArraySize(LEN);
        S = MemprofLimits.samplingInterval();
        MARGIN = 32 * S;
        assertTrue(SIZE >= LEN + 12 && SIZE <= LEN + 24 && SIZE % 8 == 0,
                "implausible size of byte[" + LEN + "]: " + SIZE);
    }

    /** The number of {@code byte[LEN]} arrays that allocate at least {@code bytes}. */
    private static long arraysFor(long bytes) {
        return AllocationWork.arraysFor(bytes, SIZE);
    }

    /** A run of a loop under a limit: its result and how many arrays the loop completed. */
    private record Run(Result<Allocated<Object>> result, long arrays) {
    }

    /**
     * Runs a loop of {@code byte[LEN]} under {@code limitBytes}; the loop stops by itself (and
     * the task returns normally) once it has allocated {@code limit + MARGIN} bytes.
     */
    private static Run loopUnder(long limitBytes, boolean cold) {
        Progress p = new Progress();
        long until = arraysFor(limitBytes + MARGIN);
        Result<Allocated<Object>> r = MemprofLimits.limitAllocations(limitBytes, () -> {
            if (cold) {
                AllocationWork.arraysCold(p, LEN, until);
            } else {
                AllocationWork.arrays(p, LEN, until);
            }
            return null;
        });
        return new Run(r, p.arrays);
    }

    /**
     * Checks a run: interrupted by its allocation limit (else the loop ran MARGIN bytes past the
     * limit without an interrupt: the false-failure probability of one run, 1.28e-14), and not
     * before the thread had allocated more than the limit (deterministic). When the interrupt
     * arose at the allocation of array number {@code arrays + 1}, that array existed, so the
     * task had allocated at least {@code (arrays + 1) * SIZE} bytes; that must exceed the limit.
     */
    private static void assertStoppedInWindow(String what, long limitBytes, Run run) {
        String state = what + ": limit " + limitBytes + " bytes, loop completed " + run.arrays()
                + " arrays of " + SIZE + " bytes (" + run.arrays() * SIZE + " bytes)";
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class,
                run.result(), state + ": not interrupted " + MARGIN + " bytes past the limit");
        assertEquals(Limit.ALLOCATIONS, i.limit(), state);
        assertTrue((run.arrays() + 1) * SIZE > limitBytes, state + ": interrupted too early");
        assertTrue(run.arrays() * SIZE <= limitBytes + MARGIN, state);
    }

    /** The value of an {@code Ok} result; fails with {@code message} and the result if not. */
    static <T> T ok(Result<T> r, String message) {
        assertInstanceOf(Result.Ok.class, r, () -> message + ": " + r);
        return r.orElseThrow();
    }

    // ------------------------------------------------------------------------ when, and counts

    /**
     * Interrupted neither too early nor too late, the loop cold: the loop method runs here for
     * the first time, so the 1 MiB and 16 MiB runs (17 000 iterations together, under the
     * 60 000 back-edges after which HotSpot compiles a loop) run in the interpreter, and the
     * 256 MiB run starts there and goes on in on-stack-replaced compiled code.
     * 3 statistical runs: false failure &lt;= 3 * 1.28e-14 = 3.8e-14.
     */
    @Test
    @Order(1)
    void interruptedNeitherTooEarlyNorTooLateInColdLoop() {
        for (long limit : new long[] {MiB, 16 * MiB, 256 * MiB}) {
            assertStoppedInWindow("cold loop", limit, loopUnder(limit, true));
        }
    }

    /**
     * The same after the loop has run about two million times outside any limit, so that the
     * runs take place in C2-compiled code (HotSpot compiles a method at tier 4 after 15 000
     * invocations with loops), where the interrupt arises in compiled code and the frame is
     * deoptimised. 5 limits x 4 runs = 20 statistical runs: false failure &lt;= 20 * 1.28e-14
     * = 2.6e-13.
     */
    @Test
    @Order(2)
    void interruptedNeitherTooEarlyNorTooLateAfterWarmUp() {
        Progress warm = new Progress();
        for (int i = 0; i < 40_000; i++) {
            warm.arrays = 0;
            AllocationWork.arrays(warm, 16, 50);
        }
        for (int round = 0; round < 4; round++) {
            for (long limit : new long[] {0, MiB, MiB + 7, 16 * MiB, 256 * MiB}) {
                assertStoppedInWindow("warm loop, round " + round, limit, loopUnder(limit, false));
            }
        }
    }

    /**
     * Seed test 3, "exact count": on a platform thread, {@code Allocated.bytes} is exactly what
     * the task allocated, whatever the mix of small objects, arrays and humongous arrays, and
     * although about 60 samples are taken during each task. The seed allocated 3 M words
     * (24 MB) at sampling rate 1; here 16 384 rounds of the {@link AllocationWork#mixed}
     * workload allocate about 33 MB, and the expected sum comes from sizes measured one by one.
     *
     * <p>Five runs, the first interpreted, the last ones compiled. The JDK's counter also counts
     * what the VM allocates on the thread's behalf, once per class or method and JVM (string
     * constants resolved at a C2 compilation request, class loading: see
     * {@link AllocationWork#warmUp}), which no warm-up rules out entirely; such an event cannot
     * recur in the next run, while a miscount by the library would show in every run. So every
     * run must be within [expected, expected + VM_SLACK], and at least three of the five exact.
     * Deterministic.
     */
    @Test
    void exactCount() {
        long object = AllocationWork.measuredSize(AllocationWork::oneObject);
        long bytes1000 = AllocationWork.measuredSize(p -> AllocationWork.oneArray(p, 1000));
        long ints100 = AllocationWork.measuredSize(p -> AllocationWork.oneIntArray(p, 100));
        long large = AllocationWork.measuredSize(p -> AllocationWork.oneArray(p, 600_000));
        int rounds = 16_384;
        long expected = rounds * (object + bytes1000 + ints100)
                + AllocationWork.mixedLargeArrays(rounds) * large;
        assertTrue(expected > 30_000_000L, "workload too small: " + expected);
        // A different starting point, as in the seed.
        AllocationWork.arrays(new Progress(), 1000, 3);
        long[] excess = new long[5];
        int exact = 0;
        for (int run = 0; run < excess.length; run++) {
            Progress p = new Progress();
            Result<Allocated<Object>> r = MemprofLimits.limitAllocations(MAX, () -> {
                AllocationWork.mixed(p, rounds);
                return null;            // returning p.arrays would box it: 24 more bytes
            });
            Allocated<Object> a = r.orElseThrow();
            assertEquals(rounds, p.arrays);
            excess[run] = a.bytes() - expected;
            if (excess[run] == 0) {
                exact++;
            }
        }
        String state = "Allocated.bytes minus the exact allocation (" + expected + " bytes: Object "
                + object + ", byte[1000] " + bytes1000 + ", int[100] " + ints100
                + ", byte[600000] " + large + ") in five runs: "
                + java.util.Arrays.toString(excess);
        for (long e : excess) {
            assertTrue(e >= 0 && e <= AllocationWork.VM_SLACK, state);
        }
        assertTrue(exact >= 3, state);
    }

    /**
     * Never interrupted before allocating more than the limit: a task that allocates at most its
     * limit - exactly its limit when the limit is a multiple of the array size - returns
     * {@code Ok}, with that count (up to the VM's rare own allocations on the thread's behalf,
     * {@link AllocationWork#VM_SLACK}; exactness is {@link #exactCount}'s subject). Deterministic
     * with the exact counter, although samples are taken during these tasks (about 128 of them
     * in the largest).
     *
     * <p>Known failure on the engine of 7a7f064 (fixed by 7fba797):
     * {@code Engine.limitAllocations} allocated the {@code Allocated} record (24 bytes) inside
     * the scope, after the task returned; a sample that falls on it marks the
     * scope as reached when the task had allocated exactly its limit, and the result is
     * {@code Interrupted}. That happens with probability about 24 / S = 4.6e-5 per task whose
     * count is within 24 bytes of its limit (the first two tasks below); see
     * {@link #taskAllocatingNothingIsNeverInterruptedEvenUnderLimitZero}, which shows it reliably.
     * (An allocation the VM makes on the thread's behalf in one of these windows could take the
     * count over the limit, and an interrupt would then be correct: rarer still.)
     */
    @Test
    void neverInterruptedBeforeAllocatingMoreThanTheLimit() {
        long[] limits = {SIZE, 1000 * SIZE, MiB + 5, 16 * MiB - 1, 64 * MiB};
        for (long limit : limits) {
            long n = limit / SIZE;
            Progress p = new Progress();
            Result<Allocated<Object>> r = MemprofLimits.limitAllocations(limit, () -> {
                AllocationWork.arrays(p, LEN, n);
                return "done";
            });
            Allocated<Object> a = ok(r, "interrupted although the task allocated " + n * SIZE
                    + " bytes <= its limit " + limit);
            assertEquals("done", a.value());
            assertTrue(a.bytes() >= n * SIZE && a.bytes() <= n * SIZE + AllocationWork.VM_SLACK,
                    "count " + a.bytes() + " for " + n * SIZE + " bytes of arrays");
        }
    }

    /**
     * A task that allocates nothing has allocated no more than any limit, 0 included, so it must
     * return {@code Ok}, every time.
     *
     * <p>Library bug, found by this test on the engine of commit 7a7f064 (where it fails) and
     * fixed on main by commit 7fba797 ("uncharged Allocated record"): the engine allocated the
     * {@code Allocated} record inside the limit's scope, after the task returned
     * (Engine.limitAllocations, the wrapper lambda), and a heap sample that fell on that
     * allocation marked the scope as reached (24 bytes over a budget of 0): the call returned
     * {@code Interrupted(ALLOCATIONS)}. Each call allocates a few hundred bytes in all, of which
     * the record's 24; over 10^6 calls (a few hundred MB, several hundred samples) about 45
     * samples hit the record: 39 to 57 were measured per run (JDK 17 and 25, G1 and Parallel).
     * With a correct engine the test is deterministic.
     */
    @Test
    void taskAllocatingNothingIsNeverInterruptedEvenUnderLimitZero() {
        int interrupted = 0;
        Result<?> example = null;
        for (int i = 0; i < 1_000_000; i++) {
            Result<Allocated<Object>> r = MemprofLimits.limitAllocations(0, () -> null);
            lastResult = r;         // escapes: no JIT may elide the engine's allocations
            if (!r.isOk()) {
                interrupted++;
                example = r;
            }
        }
        assertEquals(0, interrupted, "of 10^6 tasks that allocated nothing under limit 0, "
                + interrupted + " returned Interrupted, e.g. " + example);
    }

    private static volatile Object lastResult;
    private static volatile Object testSink;

    /**
     * Regression test: code of package {@code org.memproflimits} that is not the library's, such
     * as this test class (a split package on the class path), is interrupted like any other. The
     * first engine refused to raise whenever the innermost frame's class was in that package,
     * taking it for the library's own code: the scope was marked as reached but nothing arose,
     * and an endless loop there was never stopped (commit "RaiseSafety: drop the public-package
     * rule"). The task below allocates in a lambda of this class, under limit 0, for 32 S bytes.
     * False failure: the probability of no sample in 32 S - 1016 bytes, &lt;= 1.28e-14.
     */
    @Test
    void codeInPackageOrgMemproflimitsIsInterruptible() {
        long until = (MARGIN + 1015) / 1016 + 1;
        boolean[] ranToTheEnd = {false};
        Result<Allocated<Object>> r = MemprofLimits.limitAllocations(0, () -> {
            for (long i = 0; i < until; i++) {
                testSink = new byte[1000];
            }
            ranToTheEnd[0] = true;
            return null;
        });
        assertInstanceOf(Result.Interrupted.class, r);
        assertFalse(ranToTheEnd[0], "a loop in package org.memproflimits allocated " + MARGIN
                + " bytes past its limit of 0 without being interrupted");
    }

    /** Limit 0: interrupted at the first sample. 1 statistical run: 1.28e-14. */
    @Test
    void limitZeroInterruptsAtTheFirstSample() {
        assertStoppedInWindow("limit 0", 0, loopUnder(0, false));
    }

    // ------------------------------------------------------------------------ nesting

    /**
     * Nested calls charge both limits: each inner count is its task's allocation, and the outer
     * count holds both plus the engine's small bookkeeping for the inner calls (scope objects,
     * result records: a few hundred bytes). Counts may exceed by the VM's rare own allocations
     * ({@link AllocationWork#VM_SLACK}). The inner tasks are created before the outer call:
     * creating a lambda the first time links its call site, which allocates some 20 KB.
     * Run twice. Deterministic.
     */
    @Test
    void nestedLimitsChargeBoth() {
        long a = 1000;
        long b = 3000;
        for (int run = 0; run < 2; run++) {
            Progress p = new Progress();
            Progress q = new Progress();
            AtomicReference<Allocated<Object>> first = new AtomicReference<>();
            AtomicReference<Allocated<Object>> second = new AtomicReference<>();
            Task<Object, RuntimeException> firstTask = () -> {
                AllocationWork.arrays(p, LEN, a);
                return null;
            };
            Task<Object, RuntimeException> secondTask = () -> {
                AllocationWork.arrays(q, LEN, b);
                return null;
            };
            Allocated<Object> outer = MemprofLimits.limitAllocations(MAX, () -> {
                first.set(MemprofLimits.limitAllocations(MAX, firstTask).orElseThrow());
                second.set(MemprofLimits.limitAllocations(64 * MiB, secondTask).orElseThrow());
                return null;
            }).orElseThrow();
            long slack = AllocationWork.VM_SLACK;
            long c1 = first.get().bytes();
            long c2 = second.get().bytes();
            assertTrue(c1 >= a * SIZE && c1 <= a * SIZE + slack, "first inner count " + c1);
            assertTrue(c2 >= b * SIZE && c2 <= b * SIZE + slack, "second inner count " + c2);
            long overhead = outer.bytes() - c1 - c2;
            assertTrue(overhead >= 0 && overhead < 4096 + slack, "run " + run + ": outer counted "
                    + outer.bytes() + " bytes for inner tasks of " + (c1 + c2) + " bytes");
        }
    }

    /**
     * An inner limit never extends an outer one: under an outer limit of 8 MiB, after 6 MiB, an
     * inner call with the largest limit is interrupted once the outer budget is spent - not
     * before (deterministic, up to the engine's bookkeeping in the outer scope and the VM's rare
     * own allocations, 4 KiB + VM_SLACK in all, as {@link #nestedLimitsChargeBoth} checks), and
     * the outer call is Interrupted too, although its task returns normally after the inner
     * call. The inner call is tried with the largest limit and with 1 GiB. Its task is created
     * outside the outer call, so that no lambda linkage (some 20 KB) is charged to the outer
     * scope. 2 statistical runs: 2.6e-14.
     *
     * <p>Known failure on the engine of 7a7f064 (fixed by 7fba797): when both limits are reached
     * at the same sample, the inner call may throw the outer's interrupt instead of returning
     * {@code Interrupted}, if a sample falls on the engine's allocation of that result (about
     * 24 / S = 4.6e-5 per run); see {@link NestedLimitResultTest}.
     */
    @Test
    void innerLimitNeverExtendsOuter() {
        long outerLimit = 8 * MiB;
        for (long innerLimit : new long[] {MAX, 1L << 30}) {
            Progress p = new Progress();
            AtomicReference<Result<Allocated<Object>>> inner = new AtomicReference<>();
            long direct = arraysFor(6 * MiB);
            long until = arraysFor(outerLimit + MARGIN);
            Task<Object, RuntimeException> innerTask = () -> {
                AllocationWork.arrays(p, LEN, until);
                return null;
            };
            Result<Allocated<Object>> outer = MemprofLimits.limitAllocations(outerLimit, () -> {
                AllocationWork.arrays(p, LEN, direct);
                inner.set(MemprofLimits.limitAllocations(innerLimit, innerTask));
                return "outer task returned normally";
            });
            String state = "inner limit " + innerLimit + ": " + p.arrays + " arrays in all";
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, inner.get(),
                    state + ": the inner call did not return Interrupted (null: it threw the "
                            + "outer's interrupt instead, see NestedLimitResultTest; Ok: it was "
                            + "not interrupted " + MARGIN + " bytes past the outer limit)");
            assertEquals(Limit.ALLOCATIONS, i.limit());
            assertTrue((p.arrays + 1) * SIZE + 4096 + AllocationWork.VM_SLACK > outerLimit,
                    state + ": interrupted early");
            assertInstanceOf(Result.Interrupted.class, outer, state + ": outer not interrupted");
            assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) outer).limit());
        }
    }

    /**
     * A reached inner limit does not make the outer result Interrupted when the outer limit was
     * not reached: the outer task goes on and its result is {@code Ok}, with a count that
     * includes the inner task's allocations. 1 statistical run: 1.28e-14.
     */
    @Test
    void innerLimitReachedLeavesOuterOk() {
        Progress p = new Progress();
        AtomicReference<Result<Allocated<Object>>> inner = new AtomicReference<>();
        long until = arraysFor(MiB + MARGIN);
        Task<Object, RuntimeException> innerTask = () -> {
            AllocationWork.arrays(p, LEN, until);
            return null;
        };
        Result<Allocated<String>> outer = MemprofLimits.limitAllocations(MAX, () -> {
            inner.set(MemprofLimits.limitAllocations(MiB, innerTask));
            AllocationWork.arrays(new Progress(), LEN, 100);
            return "outer value";
        });
        assertInstanceOf(Result.Interrupted.class, inner.get(), "inner not interrupted");
        Allocated<String> a = outer.orElseThrow();
        assertEquals("outer value", a.value());
        assertTrue(a.bytes() >= (p.arrays + 1 + 100) * SIZE, "outer count " + a.bytes()
                + " misses the inner task's " + (p.arrays + 1) * SIZE + " bytes");
    }

    // ------------------------------------------------------------------------ arguments

    @Test
    void invalidLimitsAreRejected() {
        boolean[] ran = {false};
        for (long bad : new long[] {-1, MAX + 1, Long.MIN_VALUE, Long.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MemprofLimits.limitAllocations(bad, () -> ran[0] = true));
            String m = e.getMessage();
            assertNotNull(m);
            assertTrue(m.contains("limitBytes"), m);
            assertTrue(m.contains(Long.toString(bad)), m);
            assertTrue(m.contains("[0, " + MAX + "]"), m);
        }
        assertFalse(ran[0], "a task ran under an invalid limit");
    }

    @Test
    void largestLimitIsAccepted() {
        assertEquals("v", MemprofLimits.limitAllocations(MAX, () -> "v").orElseThrow().value());
        assertEquals(1L << 62, MAX);
    }

    @Test
    void nullTaskOrTokenIsRejected() {
        assertThrows(NullPointerException.class, () -> MemprofLimits.limitAllocations(MiB, null));
        assertThrows(NullPointerException.class, () -> MemprofLimits.limitAllocations(0, null));
        assertThrows(NullPointerException.class, () -> MemprofLimits.limitGlobalMemory(null));
        assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitWithToken(new Token(), null));
        assertThrows(NullPointerException.class, () -> MemprofLimits.limitWithToken(null, () -> 1));
    }

    // ------------------------------------------------------------------------ what the task sees

    /**
     * A task that catches the interrupt and returns normally still gets {@code Interrupted}; it
     * sees {@link MemprofLimits#isInterrupted()} true from the interrupt on, and its caller sees
     * it false again. 1 statistical run: 1.28e-14.
     */
    @Test
    void swallowedInterruptStillYieldsInterrupted() {
        Progress p = new Progress();
        Throwable[] caught = {null};
        boolean[] flags = {true, false};
        long until = arraysFor(MiB + MARGIN);
        Result<Allocated<String>> r = MemprofLimits.limitAllocations(MiB, () -> {
            flags[0] = MemprofLimits.isInterrupted();
            try {
                AllocationWork.arrays(p, LEN, until);
            } catch (Throwable t) {
                caught[0] = t;
                flags[1] = MemprofLimits.isInterrupted();
            }
            return "returned normally";
        });
        assertNotNull(caught[0], "no interrupt in " + MARGIN + " bytes past the limit");
        assertFalse(flags[0], "isInterrupted() before the limit was reached");
        assertTrue(flags[1], "isInterrupted() false after the interrupt");
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r);
        assertEquals(Limit.ALLOCATIONS, i.limit());
        assertNotNull(i.exception());
        assertFalse(MemprofLimits.isInterrupted(), "isInterrupted() true after the limit ended");
        TaskInterruptedException e = assertThrows(TaskInterruptedException.class, r::orElseThrow);
        assertEquals(Limit.ALLOCATIONS, e.limit());
        assertSame(i.exception(), e.getCause());
    }

    /**
     * Sticky: a task that catches the interrupt and goes on allocating is interrupted again, at
     * a later sample (possibly on its next array); three times here. Each of the three
     * interrupts must come within MARGIN bytes: 3 statistical runs, 3 * 1.28e-14 = 3.8e-14.
     */
    @Test
    void interruptIsStickyAfterBeingCaught() {
        long limit = MiB;
        long step = arraysFor(MARGIN);
        Progress p = new Progress();
        int[] interrupts = {0};
        long[] arraysAtInterrupt = new long[3];
        long[] until = {arraysFor(limit + MARGIN)};
        Result<Allocated<String>> r = MemprofLimits.limitAllocations(limit, () -> {
            while (interrupts[0] < 3) {
                try {
                    AllocationWork.arrays(p, LEN, until[0]);
                    return "ran " + MARGIN + " bytes without an interrupt";
                } catch (Throwable t) {
                    arraysAtInterrupt[interrupts[0]++] = p.arrays;
                    until[0] = p.arrays + step;
                }
            }
            return "three interrupts";
        });
        assertEquals(3, interrupts[0], "interrupts caught: " + interrupts[0] + ", arrays then: "
                + java.util.Arrays.toString(arraysAtInterrupt) + ", result " + r);
        assertTrue((arraysAtInterrupt[0] + 1) * SIZE > limit, "first interrupt too early");
        // Not strictly later: a sample may fall on the very first array after the catch, before
        // it is counted (probability about SIZE / S per catch, 0.8 % at 128 KiB).
        assertTrue(arraysAtInterrupt[1] >= arraysAtInterrupt[0]);
        assertTrue(arraysAtInterrupt[2] >= arraysAtInterrupt[1]);
        assertEquals(Limit.ALLOCATIONS, assertInstanceOf(Result.Interrupted.class, r).limit());
    }

    /**
     * An exception that replaces the interrupt while the task unwinds is what the result
     * carries: the decision rests on the limit's flag, not on the exception.
     * 1 statistical run: 1.28e-14.
     */
    @Test
    void exceptionReplacingTheInterruptYieldsInterrupted() {
        IllegalStateException replacement = new IllegalStateException("replaced the interrupt");
        Progress p = new Progress();
        long until = arraysFor(MiB + MARGIN);
        Result<Allocated<Object>> r = MemprofLimits.limitAllocations(MiB, () -> {
            try {
                AllocationWork.arrays(p, LEN, until);
            } catch (Throwable t) {
                throw replacement;
            }
            return "no interrupt in " + MARGIN + " bytes";
        });
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, r.toString());
        assertEquals(Limit.ALLOCATIONS, i.limit());
        assertSame(replacement, i.exception());
    }

    /** A checked exception of the task propagates unchanged through {@code throws E}. */
    @Test
    void checkedExceptionPropagatesUnchanged() {
        IOException ioe = new IOException("the task's own");
        Token token = new Token();
        try {
            MemprofLimits.<Object, IOException>limitAllocations(MAX, () -> {
                throw ioe;
            });
            fail("no exception");
        } catch (IOException e) {
            assertSame(ioe, e);
        }
        try {
            MemprofLimits.<Object, IOException>limitAllocations(64 * MiB, () -> {
                AllocationWork.arrays(new Progress(), LEN, 100);
                throw ioe;
            });
            fail("no exception");
        } catch (IOException e) {
            assertSame(ioe, e);
        }
        try {
            MemprofLimits.<Object, IOException>limitWithToken(token, () -> {
                throw ioe;
            });
            fail("no exception");
        } catch (IOException e) {
            assertSame(ioe, e);
        }
        try {
            MemprofLimits.<Object, IOException>limitGlobalMemory(() -> {
                throw ioe;
            });
            fail("no exception");
        } catch (IOException e) {
            assertSame(ioe, e);
        }
    }

    /** RuntimeExceptions and Errors of the task propagate unchanged: the same instance. */
    @Test
    void uncheckedExceptionsAndErrorsPropagateUnchanged() {
        Throwable[] thrown = {
            new IllegalStateException("runtime"), new UnsupportedOperationException(),
            new AssertionError("error"), new StackOverflowError(), new OutOfMemoryError("fake")};
        for (Throwable t : thrown) {
            Throwable e = assertThrows(Throwable.class,
                    () -> MemprofLimits.limitAllocations(MAX, () -> {
                        AllocationWork.arrays(new Progress(), LEN, 10);
                        throw sneaky(t);
                    }));
            assertSame(t, e);
            Throwable e2 = assertThrows(Throwable.class,
                    () -> MemprofLimits.limitAllocations(0, () -> {
                        throw sneaky(t);
                    }));
            assertSame(t, e2);
        }
    }

    @SuppressWarnings("unchecked")
    private static <X extends Throwable> RuntimeException sneaky(Throwable t) throws X {
        throw (X) t;
    }

    /**
     * The thread's interrupt status is left as it was, whether it was clear or set before the
     * limited task; the task is interrupted all the same. 2 statistical runs: 2.6e-14.
     */
    @Test
    void interruptStatusOfTheThreadIsUnchanged() {
        for (boolean before : new boolean[] {false, true}) {
            Thread.interrupted();
            if (before) {
                Thread.currentThread().interrupt();
            }
            try {
                Run run = loopUnder(0, false);
                boolean after = Thread.currentThread().isInterrupted();
                assertStoppedInWindow("interrupt status " + before, 0, run);
                assertEquals(before, after, "the thread's interrupt status changed");
            } finally {
                Thread.interrupted();
            }
        }
    }

    /**
     * A limit reached in a thread the task starts does not make the outer result Interrupted,
     * and the child's allocations (its limited task's, then 64 MiB more outside any limit) are
     * not charged to the parent: the outer count stays small (deterministic) and the outer
     * result is {@code Ok}. The child's own limit must interrupt it: 1 statistical run, 1.28e-14.
     */
    @Test
    void limitReachedInAChildThreadDoesNotInterruptTheParent() throws InterruptedException {
        AtomicReference<Result<Allocated<Object>>> child = new AtomicReference<>();
        AtomicReference<Throwable> childFailure = new AtomicReference<>();
        Result<Allocated<String>> outer = MemprofLimits.<String, InterruptedException>
                limitAllocations(4 * MiB, () -> {
                    Thread t = new Thread(() -> {
                        try {
                            Progress p = new Progress();
                            long until = arraysFor(MARGIN);
                            child.set(MemprofLimits.limitAllocations(0, () -> {
                                AllocationWork.arrays(p, LEN, until);
                                return null;
                            }));
                            AllocationWork.arrays(new Progress(), LEN, arraysFor(64 * MiB));
                        } catch (Throwable e) {
                            childFailure.set(e);
                        }
                    });
                    t.start();
                    t.join();
                    return "parent done";
                });
        assertNull(childFailure.get());
        Result.Interrupted<?> c = assertInstanceOf(Result.Interrupted.class, child.get(),
                "the child's own limit 0 did not interrupt it within " + MARGIN + " bytes");
        assertEquals(Limit.ALLOCATIONS, c.limit());
        Allocated<String> a = ok(outer, "the parent was interrupted by its child's limit");
        assertEquals("parent done", a.value());
        assertTrue(a.bytes() < MiB, "the parent was charged " + a.bytes() + " bytes");
    }
}
