package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.memproflimits.userland.Userland;

/**
 * Bad inputs give a clear exception that names the argument and its allowed range; and the basic
 * contract of {@link Masking}.
 *
 * <p>Statistics: S = 128 KiB, the default sampling interval; samples are Poisson with mean
 * spacing S per thread. Only the masking-under-interrupt tests are statistical; their bounds are
 * stated there.
 */
class BadInputTest {
    private static final long MIB = 1 << 20;
    private static final String MAX = String.valueOf(MemprofLimits.MAX_ALLOCATION_LIMIT);

    // ------------------------------------------------------------------------------------ limits

    @Test
    void allocationLimitOutsideItsRangeIsRejectedBeforeTheTaskRuns() {
        long[] bad = {-1, -1024, Long.MIN_VALUE, MemprofLimits.MAX_ALLOCATION_LIMIT + 1, Long.MAX_VALUE};
        for (long limit : bad) {
            AtomicInteger ran = new AtomicInteger();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MemprofLimits.limitAllocations(limit, () -> ran.incrementAndGet()));
            String m = e.getMessage();
            assertTrue(m.contains("limitBytes"), "names the argument: " + m);
            assertTrue(m.contains(String.valueOf(limit)), "gives the value: " + m);
            assertTrue(m.contains("[0, " + MAX + "]"), "gives the range: " + m);
            assertEquals(0, ran.get(), "the task ran");
        }
    }

    @Test
    void allocationLimitBoundsAreAccepted() {
        // Deterministic: MAX_ALLOCATION_LIMIT is never exceeded.
        Result<Allocated<String>> r = MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT, () -> "max");
        assertEquals("max", r.orElseThrow().value());
        // 0 is a valid limit (it interrupts at the first sample); no exception.
        MemprofLimits.limitAllocations(0, () -> "zero");
    }

    @Test
    void nullTokenOrTaskIsRejectedNamingTheArgument() {
        AtomicInteger ran = new AtomicInteger();
        Task<Integer, RuntimeException> task = ran::incrementAndGet;
        assertMessageNames("token", assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitWithToken(null, task)));
        assertMessageNames("token", assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitWithToken(null, null)));
        assertMessageNames("task", assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitWithToken(new Token(), null)));
        assertMessageNames("task", assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitAllocations(1024, null)));
        assertMessageNames("task", assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitGlobalMemory(null)));
        Token set = new Token();
        set.set();
        assertMessageNames("task", assertThrows(NullPointerException.class,
                () -> MemprofLimits.limitWithToken(set, null)));
        assertEquals(0, ran.get());
    }

    @Test
    void samplingIntervalOutsideItsRangeIsRejected() {
        long[] bad = {0, -1, 1023, (1L << 30) + 1, 1L << 31, Long.MAX_VALUE, Long.MIN_VALUE};
        long before = MemprofLimits.samplingInterval();
        for (long interval : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MemprofLimits.setSamplingInterval(interval));
            String m = e.getMessage();
            assertTrue(m.toLowerCase().contains("samplinginterval"), "names the argument: " + m);
            assertTrue(m.contains(String.valueOf(interval)), "gives the value: " + m);
            assertTrue(m.contains("[1024, 1073741824]"), "gives the range: " + m);
            assertEquals(before, MemprofLimits.samplingInterval(), "the interval changed after a rejected value");
        }
    }

    @Test
    void samplingIntervalCannotChangeOnceStarted() {
        MemprofLimits.start();
        long interval = MemprofLimits.samplingInterval();
        assertEquals(128 * 1024, interval, "default interval");
        MemprofLimits.setSamplingInterval(interval);            // the same value: accepted
        for (long other : new long[] {1024, interval * 2, 1L << 30}) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> MemprofLimits.setSamplingInterval(other));
            String m = e.getMessage();
            assertTrue(m.toLowerCase().contains("samplinginterval"), "names the argument: " + m);
            assertTrue(m.contains(String.valueOf(interval)) && m.contains("start"), "says why: " + m);
            assertEquals(interval, MemprofLimits.samplingInterval());
        }
        // Out of range is still an IllegalArgumentException after start.
        assertThrows(IllegalArgumentException.class, () -> MemprofLimits.setSamplingInterval(0));
    }

    // ------------------------------------------------------------------------------------ Masking: bad input

    @Test
    void withResourceRejectsNullsNamingTheArgumentBeforeAcquiring() {
        AtomicInteger acquired = new AtomicInteger();
        Task<Integer, RuntimeException> acquire = acquired::incrementAndGet;
        Masking.Scope<Integer, Integer, RuntimeException> scope = r -> r;
        Masking.Release<Integer> release = r -> { };
        assertMessageNames("acquire", assertThrows(NullPointerException.class,
                () -> Masking.withResource(null, scope, release)));
        assertMessageNames("scope", assertThrows(NullPointerException.class,
                () -> Masking.withResource(acquire, null, release)));
        assertMessageNames("release", assertThrows(NullPointerException.class,
                () -> Masking.withResource(acquire, scope, null)));
        assertEquals(0, acquired.get(), "acquire ran although an argument was null");
        assertFalse(Masking.isBlocked());
    }

    @Test
    void assertBlockedOutsideAMaskThrows() {
        IllegalStateException e = assertThrows(IllegalStateException.class, Masking::assertBlocked);
        assertTrue(e.getMessage().contains("not masked"), e.getMessage());
        // Inside a scope (not masked) too.
        assertThrows(IllegalStateException.class, () -> Masking.withResource(() -> 1, r -> {
            Masking.assertBlocked();
            return r;
        }, r -> { }));
        assertFalse(Masking.isBlocked());
    }

    // ------------------------------------------------------------------------------------ Masking: basics

    @Test
    void blockedInAcquireAndReleaseNotInScope() {
        List<String> seen = new ArrayList<>();
        assertFalse(Masking.isBlocked());
        String v = Masking.withResource(() -> {
            seen.add("acquire " + Masking.isBlocked());
            Masking.assertBlocked();
            return "r";
        }, r -> {
            seen.add("scope " + Masking.isBlocked());
            return r + "!";
        }, r -> {
            seen.add("release " + Masking.isBlocked());
            Masking.assertBlocked();
        });
        assertEquals("r!", v);
        assertEquals(List.of("acquire true", "scope false", "release true"), seen);
        assertFalse(Masking.isBlocked());
    }

    @Test
    void masksNestAndScopeKeepsTheCallersMaskState() {
        List<String> seen = new ArrayList<>();
        Masking.withResource(() -> {
            // withResource inside acquire: its scope runs masked, as acquire does.
            Masking.withResource(() -> "inner", r -> {
                seen.add("inner scope in acquire " + Masking.isBlocked());
                return r;
            }, r -> seen.add("inner release in acquire " + Masking.isBlocked()));
            seen.add("acquire after inner " + Masking.isBlocked());
            return "outer";
        }, r -> {
            // withResource inside scope: acquire and release masked, scope not.
            Masking.withResource(() -> {
                seen.add("inner acquire in scope " + Masking.isBlocked());
                return "inner";
            }, i -> {
                seen.add("inner scope in scope " + Masking.isBlocked());
                return i;
            }, i -> seen.add("inner release in scope " + Masking.isBlocked()));
            seen.add("scope after inner " + Masking.isBlocked());
            return r;
        }, r -> seen.add("release " + Masking.isBlocked()));
        assertEquals(List.of("inner scope in acquire true", "inner release in acquire true",
                "acquire after inner true", "inner acquire in scope true", "inner scope in scope false",
                "inner release in scope true", "scope after inner false", "release true"), seen);
        assertFalse(Masking.isBlocked());
    }

    @Test
    void releaseRunsExactlyOnceWhenAcquireReturned() {
        AtomicInteger released = new AtomicInteger();
        // Scope returns.
        int v = Masking.<Integer, Integer, RuntimeException>withResource(() -> 1, r -> r + 1, r -> released.incrementAndGet());
        assertEquals(2, v);
        assertEquals(1, released.get());
        // Scope throws: the same exception propagates, release ran once.
        IllegalStateException boom = new IllegalStateException("scope failed");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> Masking.withResource(() -> 1, r -> {
                    throw boom;
                }, r -> released.incrementAndGet()));
        assertSame(boom, thrown);
        assertEquals(0, thrown.getSuppressed().length);
        assertEquals(2, released.get());
        assertFalse(Masking.isBlocked());
    }

    @Test
    void releaseDoesNotRunWhenAcquireThrew() {
        AtomicInteger scoped = new AtomicInteger();
        AtomicInteger released = new AtomicInteger();
        IOException failure = new IOException("acquire failed");
        IOException thrown = assertThrows(IOException.class, () -> Masking.<Integer, Integer, IOException>withResource(
                () -> {
                    throw failure;
                }, r -> scoped.incrementAndGet(), r -> released.incrementAndGet()));
        assertSame(failure, thrown);
        Error error = new AssertionError("acquire error");
        assertSame(error, assertThrows(AssertionError.class, () -> Masking.withResource(() -> {
            throw error;
        }, r -> scoped.incrementAndGet(), r -> released.incrementAndGet())));
        assertEquals(0, scoped.get());
        assertEquals(0, released.get());
        assertFalse(Masking.isBlocked(), "still masked after acquire threw");
    }

    @Test
    void scopeExceptionPropagatesWithReleaseExceptionSuppressed() {
        IOException scopeFailure = new IOException("scope failed");
        IllegalStateException releaseFailure = new IllegalStateException("release failed");
        IOException thrown = assertThrows(IOException.class, () -> Masking.<String, String, IOException>withResource(
                () -> "r", r -> {
                    throw scopeFailure;
                }, r -> {
                    throw releaseFailure;
                }));
        assertSame(scopeFailure, thrown);
        assertEquals(List.of(releaseFailure), List.of(thrown.getSuppressed()));
        assertFalse(Masking.isBlocked());
        // Scope returns and release throws: the release's exception propagates.
        assertSame(releaseFailure, assertThrows(IllegalStateException.class,
                () -> Masking.withResource(() -> "r", r -> r, r -> {
                    throw releaseFailure;
                })));
        assertFalse(Masking.isBlocked());
    }

    // ------------------------------------------------------------------------------------ Masking under an interrupt

    enum Kind { ALLOCATIONS, TOKEN, GLOBAL_MEMORY }

    /**
     * An interrupt due during acquire and release does not arise there: inside a limit whose
     * interrupt is due (allocation limit 0, a token set in acquire, global limit 0), acquire and
     * release each allocate 50 MiB and must complete; the scope allocates 40 MiB = 320 S, where
     * the interrupt must arise.
     *
     * <p>False failure: the interrupt fails to arise in the scope only if no sample falls in its
     * 320 S, probability e^-320 = 5.3e-140 per kind, 1.6e-139 for the three kinds. The rest is
     * deterministic.
     */
    @Test
    void interruptDueDuringAcquireAndReleaseArisesOnlyInTheScope() throws Exception {
        for (Kind kind : Kind.values()) {
            int[] acquireDone = {0};
            int[] scopeDone = {0};
            int[] releaseDone = {0};
            boolean[] releaseSaw = new boolean[2];
            Token token = new Token();
            Task<String, RuntimeException> task = () -> Masking.withResource(() -> {
                if (kind == Kind.TOKEN) {
                    token.set();
                }
                Userland.churn(50 * MIB, 4096);
                acquireDone[0]++;
                return "resource";
            }, r -> {
                Userland.churn(40 * MIB, 4096);
                scopeDone[0]++;
                return r;
            }, r -> {
                releaseSaw[0] = MemprofLimits.isInterrupted();
                releaseSaw[1] = Masking.isBlocked();
                Userland.churn(50 * MIB, 4096);
                releaseDone[0]++;
            });
            Result<String> r;
            switch (kind) {
                case ALLOCATIONS:
                    r = MemprofLimits.limitAllocations(0, task).map(Allocated::value);
                    break;
                case TOKEN:
                    r = MemprofLimits.limitWithToken(token, task);
                    break;
                default:
                    MemprofLimits.setGlobalMemoryLimit(0);
                    try {
                        r = MemprofLimits.limitGlobalMemory(task);
                    } finally {
                        MemprofLimits.setGlobalMemoryLimit(-1);
                    }
            }
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, kind + ": " + r);
            assertEquals(Limit.valueOf(kind.name()), i.limit());
            assertEquals(1, acquireDone[0], kind + ": acquire did not complete");
            // The scope only allocates, then counts: it did not complete, so the interrupt arose in
            // it (acquire and release both completed).
            assertEquals(0, scopeDone[0], kind + ": the interrupt did not arise in the scope: " + i.exception());
            assertEquals(1, releaseDone[0], kind + ": release did not complete once");
            assertTrue(releaseSaw[0], kind + ": isInterrupted() was false in release");
            assertTrue(releaseSaw[1], kind + ": release was not masked");
            assertFalse(Masking.isBlocked());
        }
    }

    /**
     * A limit started inside a masked region is masked too: an interrupt due there does not
     * arise until the mask ends. Inside acquire, limitAllocations(0) around 50 MiB of allocation
     * must complete its task (its result is Interrupted by its flag, or Ok if no unmasked sample
     * set it - samples taken while masked are dropped, so it is Ok).
     *
     * <p>Deterministic: every sample inside is masked and dropped.
     */
    @Test
    void limitInsideAcquireIsMasked() {
        int[] done = {0};
        Result<Allocated<String>> inner = Masking.withResource(() -> MemprofLimits.limitAllocations(0, () -> {
            Userland.churn(50 * MIB, 4096);
            done[0]++;
            return "masked";
        }), r -> r, r -> { });
        assertEquals(1, done[0], "the task inside acquire did not complete: " + inner);
    }

    private static void assertMessageNames(String argument, Throwable e) {
        assertTrue(String.valueOf(e.getMessage()).contains(argument),
                "the message of " + e + " does not name '" + argument + "'");
    }
}
