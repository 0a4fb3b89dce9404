package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.memproflimits.testing.ProfileSessionListener;
import org.memproflimits.testing.Sampled;

/** The API contract of Memprof and Profile: states, argument ranges, what a tracker sees. */
class MemprofContractTest {
    private static final Tracker<Void> NOTHING = a -> null;
    /** 1 MiB: at a 64 KiB interval it is sampled with probability 1 - e^-16. */
    private static final int BIG = 1 << 20;

    @BeforeEach
    void noSessionProfile() {
        ProfileSessionListener.pause();
    }

    @AfterEach
    void stopAndResume() {
        try {
            Memprof.stop();
        } catch (IllegalStateException alreadyStopped) {
            // the test stopped its profile
        }
        ProfileSessionListener.resume();
    }

    @Test
    void startWhileRunningThrowsAndLeavesTheFirstProfileRunning() {
        Profile first = Memprof.start(64 * 1024, 0, NOTHING);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Memprof.start(64 * 1024, 0, NOTHING));
        assertTrue(e.getMessage().contains("already running"), e.getMessage());
        assertTrue(first.isRunning());
        Memprof.stop();
        assertFalse(first.isRunning());
    }

    @Test
    void stopWithoutProfileThrows() {
        IllegalStateException e = assertThrows(IllegalStateException.class, Memprof::stop);
        assertTrue(e.getMessage().contains("no profile is running"), e.getMessage());
        Memprof.start(64 * 1024, 0, NOTHING);
        Memprof.stop();
        assertThrows(IllegalStateException.class, Memprof::stop);
    }

    @Test
    void intervalMustLieBetween1KiBAndTheLimitsInterval() {
        long limits = MemprofLimits.samplingInterval();
        IllegalArgumentException above = assertThrows(IllegalArgumentException.class,
                () -> Memprof.start(limits + 1, 0, NOTHING));
        assertTrue(above.getMessage().contains("never less"), above.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Memprof.start(1023, 0, NOTHING));
        assertThrows(IllegalArgumentException.class, () -> Memprof.start(0, 0, NOTHING));
        assertThrows(IllegalArgumentException.class, () -> Memprof.start(-1, 0, NOTHING));
        assertThrows(IllegalArgumentException.class, () -> Memprof.start(Long.MAX_VALUE, 0, NOTHING));
        assertThrows(IllegalStateException.class, Memprof::stop, "a rejected start starts nothing");

        for (long ok : new long[] {1024, limits}) {
            Profile p = Memprof.start(ok, 0, NOTHING);
            assertEquals(ok, p.samplingInterval());
            Memprof.stop();
        }
        assertEquals(limits, MemprofLimits.samplingInterval(), "the limits' interval is unchanged");
    }

    @Test
    void callstackSizeMustLieBetween0And1024() {
        assertThrows(IllegalArgumentException.class, () -> Memprof.start(64 * 1024, -1, NOTHING));
        assertThrows(IllegalArgumentException.class,
                () -> Memprof.start(64 * 1024, Memprof.MAX_CALLSTACK_SIZE + 1, NOTHING));
        assertThrows(IllegalStateException.class, Memprof::stop, "a rejected start starts nothing");
        for (int ok : new int[] {0, 1, Memprof.MAX_CALLSTACK_SIZE}) {
            Memprof.start(64 * 1024, ok, NOTHING);
            Memprof.stop();
        }
    }

    @Test
    void nullTrackerThrows() {
        assertThrows(NullPointerException.class, () -> Memprof.start(64 * 1024, 0, null));
        assertThrows(IllegalStateException.class, Memprof::stop);
    }

    @Test
    void discardOnlyAfterStop() {
        Profile p = Memprof.start(64 * 1024, 0, NOTHING);
        IllegalStateException e = assertThrows(IllegalStateException.class, p::discard);
        assertTrue(e.getMessage().contains("running"), e.getMessage());
        assertTrue(p.isRunning(), "a refused discard leaves the profile running");
        Memprof.stop();
        p.discard();
        p.discard();                                        // idempotent
    }

    @Test
    void trackerSeesTheAllocatingFrameTypeSizeThreadAndWeight() {
        List<Allocation> seen = new CopyOnWriteArrayList<>();
        Thread me = Thread.currentThread();
        Profile p = Memprof.start(64 * 1024, 4, a -> {
            if (a.thread() == me && a.type() == byte[].class && a.size() > BIG) {
                seen.add(a);
            }
            return null;
        });
        Sampled.takeASample();
        allocateBigArrays(20);
        Memprof.stop();
        assertTrue(seen.size() >= 15, "only " + seen.size() + " of 20 MiB-sized arrays sampled");
        for (Allocation a : seen) {
            assertEquals(BIG + 16, a.size(), "byte[1 MiB] with a 16-byte header");
            assertTrue(a.stack().size() <= 4 && !a.stack().isEmpty(), a.stack().toString());
            StackTraceElement top = a.stack().get(0);
            assertEquals(MemprofContractTest.class.getName(), top.getClassName());
            assertEquals("allocateBigArrays", top.getMethodName(), "innermost first, no profiler frames");
            // weight = size / (1 - exp(-size/interval)): the size itself when size >> interval
            assertEquals(a.size(), a.weight());
        }
        assertTrue(p.samples() >= seen.size());
    }

    @Test
    void callstackSizeZeroGivesEmptyStacks() {
        AtomicInteger nonEmpty = new AtomicInteger();
        AtomicInteger all = new AtomicInteger();
        Memprof.start(64 * 1024, 0, a -> {
            all.incrementAndGet();
            if (!a.stack().isEmpty()) {
                nonEmpty.incrementAndGet();
            }
            return null;
        });
        allocateBigArrays(10);
        Memprof.stop();
        assertTrue(all.get() >= 5);
        assertEquals(0, nonEmpty.get());
    }

    @Test
    void noSamplesAfterStop() {
        AtomicInteger calls = new AtomicInteger();
        Profile p = Memprof.start(64 * 1024, 0, a -> {
            calls.incrementAndGet();
            return null;
        });
        allocateBigArrays(5);
        Memprof.stop();
        int atStop = calls.get();
        long samplesAtStop = p.samples();
        allocateBigArrays(20);
        assertEquals(atStop, calls.get());
        assertEquals(samplesAtStop, p.samples());
    }

    @Test
    void aFailingTrackerIsRecordedAndNotCalledAgain() {
        RuntimeException boom = new IllegalStateException("boom");
        AtomicInteger calls = new AtomicInteger();
        Profile p = Memprof.start(64 * 1024, 0, a -> {
            calls.incrementAndGet();
            throw boom;
        });
        assertNull(p.trackerFailure());
        allocateBigArrays(10);
        Memprof.stop();
        assertSame(boom, p.trackerFailure());
        assertEquals(1, calls.get());
        assertInstanceOf(IllegalStateException.class, p.trackerFailure());
    }

    @Test
    void aProfileMayFollowAnother() {
        AllocationProfile first = new AllocationProfile();
        AllocationProfile second = new AllocationProfile();
        Memprof.start(64 * 1024, 2, first);
        allocateBigArrays(5);
        Memprof.stop();
        long firstSamples = first.snapshot().totalSamples();
        Memprof.start(32 * 1024, 2, second);
        allocateBigArrays(5);
        Memprof.stop();
        assertEquals(firstSamples, first.snapshot().totalSamples(), "a stopped profile gets nothing");
        assertTrue(second.snapshot().totalSamples() >= 3);
    }

    private static void allocateBigArrays(int n) {
        for (int i = 0; i < n; i++) {
            Sampled.sink = new byte[BIG];
        }
    }
}
