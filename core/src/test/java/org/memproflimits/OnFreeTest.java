package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.memproflimits.testing.ProfileSessionListener;
import org.memproflimits.testing.Sampled;

/** onFree follows the collection of tracked objects: never before, always after, until discard. */
class OnFreeTest {
    /** An unusual size, so that only this test's arrays are tracked. */
    private static final int SIZE = 777_776;           // a multiple of 8: the object is SIZE + 16 bytes
    private static final int COUNT = 100;

    /** Tracks this test's arrays with a serial number; records frees and their thread. */
    private static final class Recorder implements Tracker<Integer> {
        final AtomicInteger next = new AtomicInteger();
        final Set<Integer> freed = ConcurrentHashMap.newKeySet();
        final Set<Thread> freeingThreads = ConcurrentHashMap.newKeySet();

        @Override
        public Integer onAlloc(Allocation a) {
            return a.type() == byte[].class && a.size() == SIZE + 16 ? next.getAndIncrement() : null;
        }

        @Override
        public void onFree(Integer id) {
            freed.add(id);
            freeingThreads.add(Thread.currentThread());
        }
    }

    @BeforeEach
    void noSessionProfile() {
        ProfileSessionListener.pause();
    }

    @AfterEach
    void resume() {
        try {
            Memprof.stop();
        } catch (IllegalStateException alreadyStopped) {
            // stopped by the test
        }
        ProfileSessionListener.resume();
    }

    @Test
    void onFreeComesOnlyAfterCollectionAndForEveryTrackedObject() throws Exception {
        Recorder r = new Recorder();
        Profile p = Memprof.start(64 * 1024, 0, r);
        Sampled.takeASample();
        List<byte[]> held = allocate(COUNT);
        int tracked = r.next.get();
        // 760 KiB at a 64 KiB interval: each is sampled with probability 1 - e^-11.9.
        assertTrue(tracked >= COUNT - 2, "tracked " + tracked + " of " + COUNT);

        for (int i = 0; i < 3; i++) {                       // reachable: collections free nothing
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(r.freed.isEmpty(), "freed while still reachable: " + r.freed);
        Reference.reachabilityFence(held);

        held = null;
        assertTrue(Sampled.gcUntil(() -> r.freed.size() == tracked, 30_000),
                "onFree for " + r.freed.size() + " of " + tracked + " after 30 s of System.gc()");
        assertFalse(r.freeingThreads.contains(Thread.currentThread()), "onFree runs in the cleaner thread");
        for (int id = 0; id < tracked; id++) {
            assertTrue(r.freed.contains(id), "object " + id + " never freed");
        }
        Memprof.stop();
        p.discard();
        assertNull(p.trackerFailure());
    }

    @Test
    void noOnFreeAfterDiscard() throws Exception {
        Recorder r = new Recorder();
        Profile p = Memprof.start(64 * 1024, 0, r);
        List<byte[]> held = allocate(COUNT);
        Memprof.stop();
        p.discard();
        int tracked = r.next.get();
        assertTrue(tracked > 0);
        WeakReference<byte[]> last = new WeakReference<>(held.get(COUNT - 1));
        held.clear();
        assertTrue(Sampled.gcUntil(() -> last.get() == null, 30_000), "the arrays were collected");
        // Waits for something that must not happen; bounded, and it cannot fail by slowness.
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(Set.of(), r.freed);
    }

    private static List<byte[]> allocate(int n) {
        List<byte[]> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(new byte[SIZE]);
        }
        return held;
    }
}
