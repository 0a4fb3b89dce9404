package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.memproflimits.userland.Userland;

/**
 * {@link MemprofLimits#checkpoint()} and {@link InterruptibleCharSequence}: code that allocates
 * nothing, which no sample stops, stopped where it checks. Every expectation here is
 * deterministic (no sample is needed for any of them).
 */
class CheckpointTest {
    /** Backtracks for hours over 40 'a's (24 take about 0.5 s, each one more doubles it). */
    private static final Pattern RUNAWAY = Pattern.compile("((a+)+)+b");
    private static final String INPUT = "a".repeat(40);

    @Test
    void aRunawayRegularExpressionStopsWhenItsTokenIsSet() throws Exception {
        Result<Boolean> r = inThread(false, () -> runawayUnderToken());
        Result.Interrupted<Boolean> i = assertInstanceOf(Result.Interrupted.class, r);
        assertEquals(Limit.TOKEN, i.limit());
        String trace = Arrays.toString(i.exception().getStackTrace());
        assertTrue(trace.contains("InterruptibleCharSequence.charAt") && trace.contains("java.util.regex"),
                "the interrupt arose at the matcher's checkpoint: " + trace);
        // the pattern is immutable and usable again
        assertTrue(RUNAWAY.matcher(InterruptibleCharSequence.of("aaab")).matches());
        assertFalse(RUNAWAY.matcher("aaac").matches());
    }

    @Test
    void aRunawayRegularExpressionStopsInAVirtualThread() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21 or later");
        Result<Boolean> r = inThread(true, () -> runawayUnderToken());
        assertEquals(Limit.TOKEN, assertInstanceOf(Result.Interrupted.class, r).limit());
    }

    private static Result<Boolean> runawayUnderToken() {
        Token token = new Token();
        Thread setter = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            token.set();
        });
        setter.start();
        return MemprofLimits.limitWithToken(token,
                () -> RUNAWAY.matcher(InterruptibleCharSequence.of(INPUT)).matches());
    }

    @Test
    void anAllocationLimitReachedWhileMaskedArisesAtTheNextCheckpoint() {
        AtomicBoolean pastCheckpoint = new AtomicBoolean();
        Result<Allocated<String>> r = MemprofLimits.limitAllocations(1 << 20, () -> {
            Masking.mask(() -> Userland.churn(2L << 20, 1024));   // 2 MiB; no sample raises masked
            MemprofLimits.checkpoint();
            pastCheckpoint.set(true);
            return "not interrupted";
        });
        Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r);
        assertEquals(Limit.ALLOCATIONS, i.limit());
        assertFalse(pastCheckpoint.get());
        assertEquals("org.memproflimits.MemprofLimits", i.exception().getStackTrace()[0].getClassName(),
                "raised by the checkpoint: " + Arrays.toString(i.exception().getStackTrace()));
    }

    @Test
    void aCheckpointRaisesNothingWhileMaskedOrWithNoLimitReached() {
        MemprofLimits.checkpoint();                         // outside any task: nothing
        Token token = new Token();
        AtomicBoolean afterMask = new AtomicBoolean();
        Result<String> r = MemprofLimits.limitWithToken(token, () -> {
            MemprofLimits.checkpoint();                     // no limit reached: nothing
            token.set();
            Masking.mask(() -> {
                MemprofLimits.checkpoint();                 // masked: nothing
                return null;
            });
            afterMask.set(true);
            MemprofLimits.checkpoint();
            return "not interrupted";
        });
        assertEquals(Limit.TOKEN, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertTrue(afterMask.get(), "the masked checkpoint raised");
    }

    /** Calls a checkpoint from its static initializer, with the token already set. */
    static final class InitializerWithCheckpoint {
        static final int VALUE;

        static {
            MemprofLimits.checkpoint();
            VALUE = 42;
        }
    }

    @Test
    void aCheckpointUnderAStaticInitializerDefers() {
        Token token = new Token();
        AtomicReference<Integer> seen = new AtomicReference<>();
        Result<String> r = MemprofLimits.limitWithToken(token, () -> {
            token.set();
            seen.set(InitializerWithCheckpoint.VALUE);      // initializes the class, uninterrupted
            MemprofLimits.checkpoint();
            return "not interrupted";
        });
        assertEquals(Limit.TOKEN, assertInstanceOf(Result.Interrupted.class, r).limit());
        assertEquals(42, seen.get());
        assertEquals(42, InitializerWithCheckpoint.VALUE, "the class is initialized, not erroneous");
    }

    @Test
    void theViewReadsThroughToItsText() {
        InterruptibleCharSequence s = InterruptibleCharSequence.of("hello, world");
        assertEquals(12, s.length());
        assertEquals('w', s.charAt(7));
        assertEquals("hello, world", s.toString());
        CharSequence sub = s.subSequence(7, 12);
        assertInstanceOf(InterruptibleCharSequence.class, sub);
        assertEquals("world", sub.toString());
        assertEquals("text must not be null",
                org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                        () -> InterruptibleCharSequence.of(null)).getMessage());
    }

    /**
     * Runs {@code body} in a new (virtual) thread; a body that does not stop within a minute
     * fails the test (its thread is a daemon, left running).
     */
    private static <T> T inThread(boolean virtual, java.util.concurrent.Callable<T> body) throws Exception {
        return org.memproflimits.testing.InThread.call(virtual, "checkpoint-test", 1, body);
    }
}
