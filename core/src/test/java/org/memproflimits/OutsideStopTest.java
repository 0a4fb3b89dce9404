package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Code that never allocates, stopped from outside by a token, {@link MemprofLimits#limitTime}
 * and {@link MemprofLimits#limitCpuTime}, on platform and virtual threads; the same thread used
 * again afterwards, its interrupt status clean. These are liveness tests: each runaway would
 * run for hours, and the test only asks that it ends, with the right limit, within a minute (the
 * latency is measured in the benchmarks, not here). Deferral: masked code and a static
 * initializer run to their end, and the interrupt arises after them.
 */
class OutsideStopTest {
    static volatile long sink;

    static {
        // opt-in for now (see MemprofLimits' class comment); each test class runs in its own JVM
        System.setProperty("org.memproflimits.outsideStop", "true");
    }

    enum Runaway {
        EMPTY_LOOP {
            @Override void run() {
                while (true) { }
            }
        },
        INT_COUNTER {
            @Override void run() {
                int i = 0;
                while (true) {
                    i++;
                    if (i == 7) {
                        sink = i;
                    }
                }
            }
        },
        LONG_COUNTER {
            @Override void run() {
                long x = 0;
                while (true) {
                    x++;
                    if (x == -1) {
                        sink = x;
                    }
                }
            }
        },
        /** Catastrophic backtracking over a plain String: allocates nothing for hours. */
        REGEX {
            @Override void run() {
                sink = "a".repeat(40).matches("(a|a){1,1000}b") ? 1 : 0;
            }
        };

        abstract void run();
    }

    enum Way { TOKEN, TIME, CPU_TIME }

    private static Result<Object> limited(Way way, Runaway runaway) {
        Task<Object, RuntimeException> task = () -> {
            runaway.run();
            return null;
        };
        switch (way) {
            case TIME:
                return MemprofLimits.limitTime(Duration.ofMillis(50), task);
            case CPU_TIME:
                return MemprofLimits.limitCpuTime(Duration.ofMillis(50), task);
            default:
                Token token = new Token();
                Thread setter = new Thread(() -> {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                    token.set();
                });
                setter.start();
                return MemprofLimits.limitWithToken(token, task);
        }
    }

    private static Limit limitOf(Way way) {
        return way == Way.TOKEN ? Limit.TOKEN : way == Way.TIME ? Limit.TIME : Limit.CPU_TIME;
    }

    /** Every runaway, every way, then a small task on the same thread: Ok, status clean. */
    private static List<String> stopEverything() {
        List<String> failures = new ArrayList<>();
        for (Runaway runaway : Runaway.values()) {
            for (Way way : Way.values()) {
                Result<Object> r = limited(way, runaway);
                if (!(r instanceof Result.Interrupted<Object> i) || i.limit() != limitOf(way)) {
                    failures.add(runaway + " under " + way + ": " + r);
                }
                if (Thread.currentThread().isInterrupted()) {
                    failures.add(runaway + " under " + way + ": interrupt status left set");
                }
                Result<Integer> after = MemprofLimits.limitTime(Duration.ofSeconds(30), () -> 6 * 7);
                if (!(after instanceof Result.Ok<Integer> ok) || ok.value() != 42) {
                    failures.add(runaway + " under " + way + ": the thread's next task gave " + after);
                }
            }
        }
        return failures;
    }

    @Test
    void everyRunawayStopsOnAPlatformThreadAndTheThreadIsReused() throws Exception {
        assertEquals(List.of(), inThread(false, OutsideStopTest::stopEverything));
    }

    @Test
    void everyRunawayStopsOnAVirtualThreadAndTheThreadIsReused() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21 or later");
        assertEquals(List.of(), inThread(true, OutsideStopTest::stopEverything));
    }

    @Test
    void aSleepingTaskIsWokenByItsDeadline() throws Exception {
        Result<Object> r = inThread(false, () -> MemprofLimits.limitTime(Duration.ofMillis(50), () -> {
            Thread.sleep(TimeUnit.HOURS.toMillis(1));
            return null;
        }));
        Result.Interrupted<Object> i = assertInstanceOf(Result.Interrupted.class, r);
        assertEquals(Limit.TIME, i.limit());
        assertInstanceOf(InterruptedException.class, i.exception());
    }

    @Test
    void aTaskThatEndsInTimeIsOk() throws Exception {
        Result<String> r = MemprofLimits.limitTime(Duration.ofMinutes(1), () -> "done");
        assertEquals("done", assertInstanceOf(Result.Ok.class, r).value());
        Result<String> c = MemprofLimits.limitCpuTime(Duration.ofMinutes(1), () -> "done");
        assertEquals("done", assertInstanceOf(Result.Ok.class, c).value());
    }

    @Test
    void aZeroLimitIsReachedBeforeTheTaskStarts() {
        AtomicBoolean ran = new AtomicBoolean();
        Result<Object> r = MemprofLimits.limitTime(Duration.ZERO, () -> ran.getAndSet(true));
        assertEquals(Limit.TIME, assertInstanceOf(Result.Interrupted.class, r).limit());
        Result<Object> c = MemprofLimits.limitCpuTime(Duration.ZERO, () -> ran.getAndSet(true));
        assertEquals(Limit.CPU_TIME, assertInstanceOf(Result.Interrupted.class, c).limit());
        assertFalse(ran.get());
    }

    @Test
    void badArgumentsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemprofLimits.limitTime(Duration.ofMillis(-1), () -> null));
        assertTrue(e.getMessage().startsWith("limit = PT-0.001S is negative"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemprofLimits.limitCpuTime(Duration.ofSeconds(-5), () -> null));
        NullPointerException n = assertThrows(NullPointerException.class, () -> MemprofLimits.limitTime(null, () -> null));
        assertEquals("limit must not be null", n.getMessage());
        assertThrows(NullPointerException.class, () -> MemprofLimits.limitCpuTime(Duration.ofSeconds(1), null));
    }

    @Test
    void anInnerLimitNeverExtendsAnOuterOne() throws Exception {
        AtomicReference<Result<Object>> inner = new AtomicReference<>();
        Result<Object> outer = inThread(false, () -> MemprofLimits.limitTime(Duration.ofMillis(50), () -> {
            inner.set(MemprofLimits.limitTime(Duration.ofHours(1), () -> {
                Runaway.INT_COUNTER.run();
                return null;
            }));
            return null;
        }));
        assertEquals(Limit.TIME, assertInstanceOf(Result.Interrupted.class, outer).limit());
        assertEquals(null, inner.get(), "the inner limit, not reached, does not claim the interrupt");
    }

    @Test
    void maskedCodeRunsToItsEndAndTheInterruptArisesAfterIt() throws Exception {
        AtomicBoolean regionEnded = new AtomicBoolean();
        Result<Object> r = inThread(false, () -> MemprofLimits.limitTime(Duration.ofMillis(20), () -> {
            Masking.mask(() -> {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < end) {
                    sink++;
                }
                regionEnded.set(true);
                return null;
            });
            Runaway.EMPTY_LOOP.run();
            return null;
        }));
        assertEquals(Limit.TIME, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertTrue(regionEnded.get(), "the masked region was cut short");
    }

    /** Spins, allocation-free, for 300 ms in its static initializer. */
    static final class SlowInit {
        static final long VALUE;

        static {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            long n = 0;
            while (System.nanoTime() < end) {
                n++;
            }
            VALUE = n > 0 ? 42 : 0;
        }
    }

    @Test
    void aStaticInitializerIsNeverStoppedFromOutside() throws Exception {
        Result<Object> r = inThread(false, () -> MemprofLimits.limitTime(Duration.ofMillis(20), () -> {
            sink = SlowInit.VALUE;
            Runaway.EMPTY_LOOP.run();
            return null;
        }));
        assertEquals(Limit.TIME, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertEquals(42, SlowInit.VALUE, "the class initialized normally");
    }

    private static <T> T inThread(boolean virtual, java.util.concurrent.Callable<T> body) throws Exception {
        return org.memproflimits.testing.InThread.call(virtual, "outside-stop-test", 2, body);
    }
}
