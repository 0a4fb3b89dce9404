package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.memproflimits.testing.ProfileSessionListener;
import org.memproflimits.testing.Sampled;

/**
 * The estimated bytes of long profiled runs against ThreadMXBean's exact count.
 *
 * <h2>Tolerance</h2>
 * The estimate is a sum of weights over a Poisson process of sample points (one per
 * {@code interval} bytes on average). Its relative standard deviation is at most
 * {@code sqrt(interval / W)} for {@code W} bytes allocated, whatever the object sizes: an object
 * of {@code s} bytes contributes a variance {@code s^2 (1-p)/p <= s * interval}, with
 * {@code p = 1 - exp(-s/interval)}. With {@code n = W/interval} that is {@code 1/sqrt(n)}. A
 * false-failure probability of 1e-9 needs 6.11 standard deviations (normal approximation; with
 * {@code n} in the tens of thousands the Poisson skew, {@code 1/sqrt(n)} < 1%, does not
 * matter). So {@code tol = 6.11/sqrt(n)}: 1.73% for 2 GB at 16 KiB.
 *
 * <h2>What the estimate is compared with</h2>
 * ThreadMXBean counts every byte the thread allocates, including what the profiler itself
 * allocates inside HotSpot's sampling callback: the captured stack, the {@link Allocation}, the
 * tracker's key - about 1 to 2 KiB per sample with 8-frame stacks, a few bytes without stacks.
 * HotSpot never samples those allocations; whether it counts them towards the next sample
 * point depends on the JDK: JDK 17 does not (the estimate is the program's own bytes), JDK 25
 * counts a varying part of them, 20% to 70% measured (the estimate lies between the program's
 * bytes and the raw count). The
 * "-2.5%" seen comparing the estimate with the raw count at 64 KiB with 8 frames (OverheadCheck's
 * workload: -2.4% to -3.6% on JDK 17, -0.6% to -1.6% on JDK 25) is this: the profiler's own
 * bytes, not an error of the sampler.
 *
 * <p>So: without stacks, the estimate must be within {@code tol} of the raw count. With stacks,
 * the workload being deterministic, the test also measures the program's own bytes exactly (the
 * same work without a profile) and requires the estimate to lie in
 * {@code [own * (1 - tol), raw * (1 + tol)]} - each end a one-sided 6.11 sd bound, right for
 * any share of its own bytes the sampler counts. It prints where in that range the estimate
 * fell.
 *
 * <p>HotSpot's sampler is unbiased for objects in TLABs and for large objects (the three
 * workloads here). Mixing large arrays allocated outside TLABs with small objects in one thread
 * showed about -1% on JDK 17 (measured, not tested).
 */
class EstimateAccuracyTest {
    private static final double Z_1E9 = 6.11;
    private static final Object[] RING = new Object[1024];

    @BeforeEach
    void noSessionProfile() {
        ProfileSessionListener.pause();
    }

    @AfterEach
    void resume() {
        ProfileSessionListener.resume();
    }

    /** Small arrays, 16 B to 2 KiB, all in TLABs; deterministic. */
    private static void smallArrays(int n) {
        for (int i = 0; i < n; i++) {
            RING[i & 1023] = new byte[(i * 37) % 2000];
        }
    }

    /** 256 KiB arrays, each nearly always sampled, standing for about its own size. */
    private static void largeArrays(int n) {
        for (int i = 0; i < n; i++) {
            RING[i & 63] = new byte[256 * 1024];
        }
    }

    @Test
    void twoGigabytesWithoutStacksMatchTheExactCount() {
        check(16 * 1024, 0, EstimateAccuracyTest::smallArrays, 2_000_000, false);
    }

    @Test
    void twoGigabytesWith8FrameStacksLieBetweenTheProgramsBytesAndTheExactCount() {
        check(16 * 1024, 8, EstimateAccuracyTest::smallArrays, 2_000_000, true);
    }

    @Test
    void halfAGigabyteOfLargeObjects() {
        check(64 * 1024, 8, EstimateAccuracyTest::largeArrays, 2_000, true);
    }

    private static void check(long interval, int callstack, IntConsumer work, int n, boolean profile) {
        MemprofLimits.start();
        Thread me = Thread.currentThread();
        work.accept(n / 4);                                   // warm up: JIT, class loading

        long t0 = Sampled.allocatedBytes();
        work.accept(n);
        long own = Sampled.allocatedBytes() - t0;             // the program's own bytes, exact

        AllocationProfile sites = new AllocationProfile();
        LongAdder sum = new LongAdder();
        Tracker<Void> mine = profile
                ? a -> a.thread() == me ? sites.onAlloc(a) : null
                : a -> {
                    if (a.thread() == me) {
                        sum.add(a.weight());                  // allocates nothing
                    }
                    return null;
                };
        long t1 = Sampled.allocatedBytes();
        Profile p = Memprof.start(interval, callstack, mine);
        Sampled.takeASample();                                // HotSpot picks the next point at the new interval
        long t2 = Sampled.allocatedBytes();
        long est0 = profile ? sites.snapshot().totalBytes() : sum.sum();
        work.accept(n);
        Memprof.stop();
        long raw = Sampled.allocatedBytes() - t2;             // own bytes + the profiler's
        assertNull(p.trackerFailure());
        assertTrue(t2 > t1);

        long estimate = (profile ? sites.snapshot().totalBytes() : sum.sum()) - est0;
        double tol = Z_1E9 / Math.sqrt((double) own / interval);
        double low = own * (1 - tol);
        double high = raw * (1 + tol);
        // Meaningful only where the profiler allocates noticeably (with stacks).
        double share = raw - own > own / 200 ? (double) (estimate - own) / (raw - own) : Double.NaN;
        System.out.printf("memprof accuracy (JDK %d): interval %d KiB, %d frames, %d samples; own bytes %d, "
                        + "raw count %d (%+.2f%%); estimate %+.2f%% of own, %+.2f%% of raw (tolerance %.2f%%); "
                        + "share of the profiler's own bytes counted: %.2f%n",
                Runtime.version().feature(), interval >> 10, callstack, p.samples(), own, raw,
                100.0 * (raw - own) / own, 100.0 * (estimate - own) / own, 100.0 * (estimate - raw) / raw,
                100 * tol, share);
        assertTrue(own > 400_000_000, "workload too small: " + own);
        assertTrue(estimate >= low && estimate <= high, String.format(
                "estimate %d outside [own bytes %d - %.2f%%, raw count %d + %.2f%%] (6.11 sd each side)",
                estimate, own, 100 * tol, raw, 100 * tol));
    }
}
