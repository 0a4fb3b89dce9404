package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.memproflimits.testing.ProfileSessionListener;
import org.memproflimits.testing.Sampled;

/**
 * AllocationProfile, LiveHeapProfile, ProfileSnapshot and CollapsedStacks.
 *
 * <p>Statistics of the tests that estimate the bytes of {@code n} QUARTER arrays. HotSpot's
 * sample points form a Poisson process along the bytes a thread allocates (it draws each next
 * distance afresh; the mean is INTERVAL once {@link Sampled#takeASample} has made the next
 * point follow it), so each array of {@code s} = 262,160 bytes is sampled independently with
 * probability {@code p = 1 - e^(-s/INTERVAL)} = 98.17%, missed with {@code q = e^-4.0002} =
 * 1.831%, and each sample of it weighs {@code w = round(s/p)} = 267,050 bytes
 * (Profiler.onSample). With {@code M ~ Binomial(n, q)} arrays missed, the site has exactly
 * {@code n - M} samples and {@code (n - M) * w} bytes: at most {@code w/s - 1} = 1.87% above the
 * exact {@code n * s} (M = 0), and the further below it the more arrays were missed. A tolerance
 * thus amounts to a largest M, and its false-failure probability is the binomial tail above
 * that, summed exactly - in Python, {@code q = exp(-262160/65536);
 * sum(comb(n, k) * q**k * (1-q)**(n-k) for k in range(m, n+1))} for failing at {@code M >= m}.
 * (A normal approximation understates these skewed tails 600 to 1,600-fold.) Anything that adds
 * sample points - JDK 25 counts part of the profiler's own allocations towards them - only
 * makes misses rarer.
 */
class ProfileTrackersTest {
    private static final long INTERVAL = 64 * 1024;
    /** 256 KiB: {@code s} = 262,160 bytes with the array header. */
    private static final int QUARTER = 256 * 1024;

    @BeforeEach
    void noSessionProfile() {
        ProfileSessionListener.pause();
    }

    @AfterEach
    void stopAndResume() {
        try {
            Memprof.stop();
        } catch (IllegalStateException alreadyStopped) {
            // stopped by the test
        }
        ProfileSessionListener.resume();
    }

    // ------------------------------------------------------------------ AllocationProfile

    @Test
    void allocationProfileAttributesBytesToTheAllocatingSite() {
        AllocationProfile profile = new AllocationProfile();
        Profile p = Memprof.start(INTERVAL, 16, profile);
        Sampled.takeASample();
        allocateQuarters(400);
        Memprof.stop();
        ProfileSnapshot s = profile.snapshot();
        assertEquals(p.samples(), s.totalSamples(), "every sample lands at a site");

        ProfileSnapshot.Site site = s.sites().stream()
                .filter(x -> x.type().equals("byte[]") && !x.stack().isEmpty()
                        && x.stack().get(0).getMethodName().equals("allocateQuarters"))
                .findFirst().orElseThrow(() -> new AssertionError("no site in allocateQuarters: " + s.top(5)));
        // Statistical (see the class comment): with M of the 400 arrays missed, the estimate is
        // (400 - M) * w, and both assertions below fail exactly when M >= 31 - 5.9% of the exact
        // bytes is between the estimates at M = 30 (-5.78%) and M = 31 (-6.03%); an estimate
        // above the exact bytes is at most +1.87% (M = 0). P(Binomial(400, e^-4.0002) >= 31) =
        // 3.3e-11 (false failure; the mean of M is 7.3).
        long exact = 400L * (QUARTER + 16);
        assertEquals(exact, site.bytes(), 0.059 * exact, "estimated vs exact bytes of the site");
        assertTrue(site.samples() >= 370 && site.samples() <= 400, "samples: " + site.samples());
        assertEquals(ProfileTrackersTest.class.getName(), site.stack().get(0).getClassName());
        assertTrue(s.bytesByType().get("byte[]") >= site.bytes());
    }

    @Test
    void allocationProfileIsReadableWhileManyThreadsSample() throws Exception {
        AllocationProfile profile = new AllocationProfile();
        Profile p = Memprof.start(16 * 1024, 8, profile);
        int threads = 4;
        CountDownLatch started = new CountDownLatch(threads);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                started.countDown();
                int i = 0;
                while (!stop.get()) {
                    Object[] chunk = new Object[64];
                    for (int k = 0; k < chunk.length; k++) {
                        chunk[k] = (id % 2 == 0) ? new StringBuilder("w" + id + i++) : new long[16 + k];
                    }
                    Sampled.sink = chunk;
                }
            }, "sampler-" + t);
            w.setUncaughtExceptionHandler((th, e) -> failure.set(e));
            workers.add(w);
            w.start();
        }
        started.await();
        long previous = 0;
        for (int i = 0; i < 200; i++) {                   // reads race with the samples
            ProfileSnapshot s = profile.snapshot();
            assertTrue(s.totalSamples() >= 0 && s.totalBytes() >= 0);
            previous = Math.max(previous, s.totalSamples());
            StringWriter out = new StringWriter();
            CollapsedStacks.write(s, out);
            Thread.sleep(1);
        }
        stop.set(true);
        for (Thread w : workers) {
            w.join();
        }
        Memprof.stop();
        assertNull(failure.get());
        assertNull(p.trackerFailure());
        ProfileSnapshot end = profile.snapshot();
        assertTrue(end.totalSamples() >= previous);
        assertEquals(p.samples(), end.totalSamples(), "no sample lost or counted twice");
        assertTrue(end.sites().stream().anyMatch(x -> x.type().equals("long[]")));
        assertTrue(end.sites().stream().anyMatch(x -> x.type().equals("java.lang.StringBuilder")
                || x.type().equals("byte[]")));
        profile.reset();
        assertEquals(0, profile.snapshot().totalSamples());
        assertTrue(profile.snapshot().sites().isEmpty());
    }

    // ------------------------------------------------------------------ LiveHeapProfile

    @Test
    void liveHeapProfileCountsHeldObjectsUntilTheyAreCollected() throws Exception {
        LiveHeapProfile live = new LiveHeapProfile();
        Profile p = Memprof.start(INTERVAL, 8, live);
        Sampled.takeASample();
        List<byte[]> held = new ArrayList<>();
        retainQuarters(held, 200);
        long exact = 200L * (QUARTER + 16);
        System.gc();
        long heldBytes = siteBytes(live.snapshot(), "retainQuarters");
        // Statistical (see the class comment): (200 - M) * w for M arrays missed; 8.5% of the exact
        // bytes lies between the estimates at M = 20 (-8.32%) and M = 21 (-8.83%), so this fails
        // exactly when M >= 21 (above the exact bytes: at most +1.87%).
        // P(Binomial(200, e^-4.0002) >= 21) = 2.0e-10 (false failure; the mean of M is 3.7).
        assertEquals(exact, heldBytes, 0.085 * exact, "live bytes while held");
        assertEquals(200, held.size());

        held = null;                                      // now garbage
        assertTrue(Sampled.gcUntil(() -> siteBytes(live.snapshot(), "retainQuarters") == 0, 30_000),
                "live bytes of freed objects still " + siteBytes(live.snapshot(), "retainQuarters")
                        + " after 30 s of System.gc()");
        assertTrue(live.snapshot().sites().stream().noneMatch(s -> s.samples() < 0),
                "a free without an allocation");
        Memprof.stop();
        p.discard();
        assertNull(p.trackerFailure());
    }

    @Test
    void liveHeapProfileKeepsCountingFreesAfterStopUntilDiscard() throws Exception {
        LiveHeapProfile live = new LiveHeapProfile();
        Profile p = Memprof.start(INTERVAL, 8, live);
        List<byte[]> held = new ArrayList<>();
        retainQuarters(held, 100);
        Memprof.stop();
        long before = siteBytes(live.snapshot(), "retainQuarters");
        assertTrue(before > 0);
        held.clear();
        assertTrue(Sampled.gcUntil(() -> siteBytes(live.snapshot(), "retainQuarters") == 0, 30_000),
                "frees after stop are still counted");
        p.discard();
    }

    // ------------------------------------------------------------------ snapshots and text

    @Test
    void snapshotOrdersSitesAndLeavesOutEmptyOnes() {
        StackTraceElement a = new StackTraceElement("p.A", "a", "A.java", 10);
        ProfileSnapshot s = new ProfileSnapshot(List.of(
                new ProfileSnapshot.Site(List.of(a), "int[]", 100, 2),
                new ProfileSnapshot.Site(List.of(a), "p.Gone", 0, 0),
                new ProfileSnapshot.Site(List.of(), "java.lang.String", 300, 3),
                new ProfileSnapshot.Site(List.of(a), "java.lang.String", 100, 5)));
        assertEquals(3, s.sites().size());
        assertEquals(500, s.totalBytes());
        assertEquals(10, s.totalSamples());
        assertEquals(300, s.sites().get(0).bytes());
        assertEquals(5, s.sites().get(1).samples(), "equal bytes: more samples first");
        assertEquals(List.of(s.sites().get(0)), s.top(1));
        assertEquals(3, s.top(10).size());
        assertThrows(IllegalArgumentException.class, () -> s.top(-1));
        assertEquals(List.of("java.lang.String", "int[]"), List.copyOf(s.bytesByType().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> s.sites().clear());
    }

    @Test
    void binaryClassNamesBecomeTypeNames() {
        assertEquals("byte[]", SiteTable.typeName("[B"));
        assertEquals("long[][]", SiteTable.typeName("[[J"));
        assertEquals("java.lang.String[]", SiteTable.typeName("[Ljava.lang.String;"));
        assertEquals("java.util.HashMap$Node", SiteTable.typeName("java.util.HashMap$Node"));
        assertEquals(String[][].class.getTypeName(), SiteTable.typeName(String[][].class.getName()));
        assertEquals(boolean[].class.getTypeName(), SiteTable.typeName(boolean[].class.getName()));
    }

    @Test
    void collapsedStacksAreRootFirstWithTheTypeAsLeaf() throws Exception {
        StackTraceElement inner = new StackTraceElement("com.x.Json", "parse", "Json.java", 42);
        StackTraceElement inner2 = new StackTraceElement("com.x.Json", "parse", "Json.java", 57);
        StackTraceElement outer = new StackTraceElement("com.x.Main", "main", "Main.java", 7);
        StackTraceElement odd = new StackTraceElement("com.x.We;ird", "m\nx", null, -1);
        ProfileSnapshot s = new ProfileSnapshot(List.of(
                new ProfileSnapshot.Site(List.of(inner, outer), "char[]", 1000, 2),
                new ProfileSnapshot.Site(List.of(inner2, outer), "char[]", 500, 1),
                new ProfileSnapshot.Site(List.of(outer), "java.lang.String", 64, 1),
                new ProfileSnapshot.Site(List.of(odd), "byte[]", 7, 1),
                new ProfileSnapshot.Site(List.of(), "int[]", 3, 1)));

        StringWriter bytes = new StringWriter();
        CollapsedStacks.write(s, bytes);
        assertEquals("""
                com.x.Main.main;com.x.Json.parse;char[] 1500
                com.x.Main.main;java.lang.String 64
                com.x.We_ird.m_x;byte[] 7
                int[] 3
                """, bytes.toString());

        StringWriter samples = new StringWriter();
        CollapsedStacks.write(s, samples, CollapsedStacks.Value.SAMPLES, true);
        assertEquals("""
                com.x.Main.main:7;com.x.Json.parse:42;char[] 2
                com.x.Main.main:7;com.x.Json.parse:57;char[] 1
                com.x.Main.main:7;java.lang.String 1
                com.x.We_ird.m_x;byte[] 1
                int[] 1
                """, samples.toString());
        assertEquals("com.x.Json.parse:42", CollapsedStacks.frame(inner, true));
        assertEquals("com.x.Json.parse", CollapsedStacks.frame(inner, false));
    }

    @Test
    void collapsedStacksOfARealProfileParseBack() throws Exception {
        AllocationProfile profile = new AllocationProfile();
        Memprof.start(INTERVAL, 32, profile);
        allocateQuarters(50);
        Memprof.stop();
        ProfileSnapshot s = profile.snapshot();
        StringWriter out = new StringWriter();
        CollapsedStacks.write(s, out);
        long sum = 0;
        boolean found = false;
        for (String line : out.toString().split("\n")) {
            int space = line.lastIndexOf(' ');
            assertTrue(space > 0, line);
            sum += Long.parseLong(line.substring(space + 1));
            String[] frames = line.substring(0, space).split(";");
            if (frames[frames.length - 1].equals("byte[]") && frames.length >= 2
                    && frames[frames.length - 2].equals(ProfileTrackersTest.class.getName() + ".allocateQuarters")) {
                found = true;
            }
        }
        assertTrue(found, out.toString());
        assertEquals(s.totalBytes(), sum);
        assertNotNull(profile.toString());
    }

    private static long siteBytes(ProfileSnapshot s, String method) {
        return s.sites().stream()
                .filter(x -> !x.stack().isEmpty() && x.stack().get(0).getMethodName().equals(method))
                .mapToLong(ProfileSnapshot.Site::bytes).sum();
    }

    private static void allocateQuarters(int n) {
        for (int i = 0; i < n; i++) {
            Sampled.sink = new byte[QUARTER];
        }
    }

    private static void retainQuarters(List<byte[]> into, int n) {
        for (int i = 0; i < n; i++) {
            into.add(new byte[QUARTER]);
        }
    }
}
