package org.memproflimits.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Token;
import org.memproflimits.testing.Sampled;

/**
 * The limits' outcomes, the same with or without a profile running: core/pom.xml runs this suite
 * a third time under ProfileSessionListener's profile. Nothing here depends on timing. (Not in
 * package org.memproflimits: the engine never raises at the top frame of the library's own code.)
 */
class LimitsTest {

    @Test
    void allocationLimitStopsARunawayTaskOnlyAfterItsLimit() {
        long limit = 32L << 20;
        long before = Sampled.allocatedBytes();
        long[] atInterrupt = new long[1];
        Result<Allocated<Void>> r = MemprofLimits.limitAllocations(limit, () -> {
            List<String> words = new ArrayList<>();
            try {
                for (long i = 0; ; i++) {
                    words.add("word-" + i);
                    if (words.size() > 10_000) {
                        words.clear();
                    }
                }
            } finally {
                atInterrupt[0] = Sampled.allocatedBytes() - before;
            }
        });
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r);
        assertEquals(Limit.ALLOCATIONS, i.limit());
        assertTrue(atInterrupt[0] > limit, "interrupted after " + atInterrupt[0] + " bytes, limit " + limit);
    }

    @Test
    void allocationLimitReportsTheTasksBytes() {
        Result<Allocated<Integer>> r = MemprofLimits.limitAllocations(1L << 30, () -> {
            int n = 0;
            for (int i = 0; i < 10; i++) {
                byte[] b = new byte[1_000_000];
                Sampled.sink = b;
                n += b.length;
            }
            return n;
        });
        Allocated<Integer> a = r.orElseThrow();
        assertEquals(10_000_000, a.value());
        assertTrue(a.bytes() >= 10 * 1_000_016L, "bytes " + a.bytes());
        // The clock is the thread's exact counter, which also counts what a running profile
        // allocates inside its sampler (a few KiB per sample; about 10 samples here).
        assertTrue(a.bytes() < 10 * 1_000_016L + (256 << 10), "bytes " + a.bytes());
    }

    @Test
    void tokenSetByAnotherThreadStopsTheTask() throws Exception {
        Token token = new Token();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            timer.schedule(token::set, 20, TimeUnit.MILLISECONDS);
            Result<Void> r = MemprofLimits.limitWithToken(token, () -> {
                while (true) {
                    Sampled.sink = new StringBuilder("spin").append(System.nanoTime()).toString();
                }
            });
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r);
            assertEquals(Limit.TOKEN, i.limit());
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void tokenSetBeforehandMeansTheTaskDoesNotRun() {
        Token token = new Token();
        token.set();
        AtomicInteger ran = new AtomicInteger();
        Result<Integer> r = MemprofLimits.limitWithToken(token, ran::incrementAndGet);
        assertFalse(r.isOk());
        assertEquals(0, ran.get());
    }

    @Test
    void globalMemoryLimitStopsATaskThatRetainsTooMuch() {
        MemprofLimits.setGlobalMemoryLimit(128L << 20);
        try {
            Result<Integer> r = MemprofLimits.limitGlobalMemory(() -> {
                List<byte[]> kept = new ArrayList<>();
                for (int i = 0; i < 400; i++) {             // 400 MiB under a 512 MiB heap
                    kept.add(new byte[1 << 20]);
                }
                return kept.size();
            });
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r);
            assertEquals(Limit.GLOBAL_MEMORY, i.limit());
        } finally {
            MemprofLimits.setGlobalMemoryLimit(-1);
        }
        System.gc();
        assertTrue(MemprofLimits.limitGlobalMemory(() -> new byte[1 << 20].length).isOk());
    }

    @Test
    void theTasksOwnExceptionPropagatesUnchanged() {
        IOException own = new IOException("own");
        IOException thrown = assertThrows(IOException.class,
                () -> MemprofLimits.limitAllocations(1L << 30, () -> {
                    Sampled.sink = new byte[1 << 20];
                    throw own;
                }));
        assertSame(own, thrown);
    }

    @Test
    void aSwallowedInterruptStillYieldsInterrupted() {
        AtomicInteger caught = new AtomicInteger();
        Result<Allocated<String>> r = MemprofLimits.limitAllocations(4L << 20, () -> {
            for (int i = 0; i < 64; i++) {                   // 64 MiB, well past the limit
                try {
                    Sampled.sink = new byte[1 << 20];
                } catch (Throwable t) {
                    caught.incrementAndGet();               // swallowed
                }
            }
            return "done";
        });
        assertFalse(r.isOk());
        assertTrue(caught.get() > 0);
    }

    @Test
    void maskedReleaseRunsExactlyOnceWhenInterrupted() {
        AtomicInteger acquired = new AtomicInteger();
        AtomicInteger released = new AtomicInteger();
        Result<Allocated<Object>> r = MemprofLimits.limitAllocations(1L << 20, () ->
                Masking.withResource(acquired::incrementAndGet, n -> {
                    while (true) {
                        Sampled.sink = new byte[4096];
                    }
                }, n -> released.incrementAndGet()));
        assertFalse(r.isOk());
        assertEquals(1, acquired.get());
        assertEquals(1, released.get());
        assertFalse(MemprofLimits.isInterrupted(), "the flag ends with the limit function");
    }

    @Test
    void anInnerLimitCannotExtendAnOuterOne() {
        Result<Allocated<Result<Allocated<Void>>>> outer = MemprofLimits.limitAllocations(8L << 20, () ->
                MemprofLimits.limitAllocations(1L << 30, () -> {
                    for (int i = 0; i < 64; i++) {
                        Sampled.sink = new byte[1 << 20];
                    }
                    return null;
                }));
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, outer);
        assertEquals(Limit.ALLOCATIONS, i.limit());
    }
}
