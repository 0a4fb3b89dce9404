package org.memproflimits.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import com.sun.management.GarbageCollectorMXBean;
import com.sun.management.GcInfo;

/**
 * The heap's occupancy, as the global memory limit sees it: the heap's use after a garbage
 * collection, so that garbage never counts.
 *
 * <h2>Algorithm</h2>
 * At a sample of a thread under a global limit:
 * <ol>
 *   <li>Current use ({@code Runtime}, about 60 ns) bounds occupancy from above: at or below the
 *       limit, nothing is over. This is the common case, and it is also what lets new tasks run
 *       as soon as a collection has freed the data of interrupted ones.</li>
 *   <li>Otherwise the figure after the most recent collection is read synchronously: the
 *       collectors' counts are compared with the last ones seen (a few tens of ns each), and only
 *       when a collection has happened since is its {@code GcInfo} read (tens of µs, once per
 *       collection). GC notifications were tried first and measured: they arrive late, and on
 *       Parallel GC the heap filled and threw {@code OutOfMemoryError} in the 30 MiB of
 *       allocation between a young collection that showed the heap over the limit and its
 *       notification.</li>
 *   <li>Data retained since that collection shows in no post-collection figure: G1 puts large
 *       arrays straight into old regions and may run no collection at all while a burst of them
 *       fills the heap. The old generation's current use shows them (and no young garbage), and
 *       so does current use near the heap's maximum (the last 5%). Data retained in the young
 *       generation shows only from the next collection on (there nothing tells it from
 *       garbage), a young generation's worth of allocation at most.</li>
 *   <li>But a young collection's figure, and the old generation's current use, count the old
 *       generation's garbage too (objects promoted and since dead, G1's dead humongous arrays).
 *       So none of these signals interrupts by itself: when one of them shows the heap over the
 *       limit, one thread requests a full collection ({@code System.gc()}), and the occupancy
 *       after it decides. That happens at most once per collection cycle, and only when the
 *       heap is near the limit - when the JVM is about to collect anyway.</li>
 *   <li>A confirmation that found the heap over the limit stands until the next collection -
 *       except that the tasks it condemned drop their data when they end. Once every task that
 *       was under a global limit at the time of the confirmation has ended, the next signal may
 *       confirm again without waiting for a collection: otherwise, on a collector whose young
 *       collections leave the old generation's garbage in place (Parallel), a new task under
 *       the limit would be interrupted at its first sample, again and again, until something
 *       else ran a full collection. Waiting for all of them (not only those interrupted so far)
 *       keeps a wave to one full collection. If the heap stays over (data held outside tasks),
 *       these extra confirmations back off exponentially, 1 ms doubling up to one per
 *       second.</li>
 * </ol>
 * With {@code -XX:+DisableExplicitGC} the request does nothing; the young collection's figure,
 * or current use in the 5% zone, then decides: garbage may trip the limit, but the heap is
 * protected.
 */
final class HeapWatcher {
    private static final Runtime RUNTIME = Runtime.getRuntime();
    private static final Object CONFIRM_LOCK = new Object();

    private static GarbageCollectorMXBean[] collectors = new GarbageCollectorMXBean[0];
    private static MemoryPoolMXBean[] oldPools = new MemoryPoolMXBean[0];
    private static Set<String> heapPools = Set.of();
    private static long dangerZone = Long.MAX_VALUE;
    private static boolean started;

    /** Sum of the collectors' counts when {@link #afterGc} was last computed. */
    private static volatile long seenCount = -1;
    /** Heap use after the most recent collection seen. */
    private static volatile long afterGc;
    /** The collection count after the last requested full collection; -1 if none. */
    private static volatile long confirmedCount = -1;
    /** Occupancy measured right after that full collection. */
    private static volatile long confirmedUse;
    /** When that collection ended, System.nanoTime(). */
    private static volatile long confirmedAt;
    /** Confirmations in a row that found the heap over the limit. */
    private static int overStreak;
    /** Numbers the confirmations; a scope records the one in force when it started. */
    private static volatile long epoch;
    /** Global-limit scopes running when the last confirmation started. */
    private static volatile long runningAtConfirmation;
    /** Of those, how many have ended since (scopes started before it, ending after it). */
    private static final AtomicLong endedSinceConfirmation = new AtomicLong();
    /** Global-limit scopes running now. */
    private static final AtomicLong running = new AtomicLong();

    private HeapWatcher() {
    }

    static synchronized void start() {
        if (started) {
            return;
        }
        Set<String> heap = new HashSet<>();
        List<MemoryPoolMXBean> old = new ArrayList<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heap.add(pool.getName());
                if (pool.getName().contains("Old") || pool.getName().contains("Tenured")) {
                    old.add(pool);
                }
            }
        }
        oldPools = old.toArray(new MemoryPoolMXBean[0]);
        List<GarbageCollectorMXBean> gcs = new ArrayList<>();
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof GarbageCollectorMXBean g) {
                gcs.add(g);
            }
        }
        heapPools = Set.copyOf(heap);
        collectors = gcs.toArray(new GarbageCollectorMXBean[0]);
        long max = RUNTIME.maxMemory();
        dangerZone = max == Long.MAX_VALUE ? Long.MAX_VALUE : max - max / 20;
        refresh();
        started = true;
    }

    static long currentUse() {
        return RUNTIME.totalMemory() - RUNTIME.freeMemory();
    }

    static boolean isOverLimit(long limit) {
        if (limit < 0) {
            return false;
        }
        long now = currentUse();
        if (now <= limit) {
            return false;
        }
        long count = refresh();
        if (confirmedOverStands(count, limit)) {
            return true;
        }
        if (afterGc <= limit && now < dangerZone && oldGenerationUse() <= limit) {
            return false;
        }
        // Over by some signal, and not confirmed over: confirm, even if the last confirmation
        // said under - data retained since then is what the signal shows.
        return confirmedOver(limit, count);
    }

    /** A global-limit scope starts; returns the epoch to pass to {@link #scopeEnded}. */
    static long scopeStarted() {
        running.incrementAndGet();
        return epoch;
    }

    /** A global-limit scope ends: its task's data may be garbage now. */
    static void scopeEnded(long startEpoch) {
        running.decrementAndGet();
        if (startEpoch != epoch) {
            endedSinceConfirmation.incrementAndGet();
        }
    }

    /** Whether a confirmation found the heap over, no collection ran since, and it is not stale. */
    private static boolean confirmedOverStands(long count, long limit) {
        return count == confirmedCount && confirmedUse > limit && !confirmationStale();
    }

    /**
     * Whether every scope running at the last confirmation has ended (see 5. above). A scope
     * that starts or ends while a confirmation begins may be miscounted: counted as ended but
     * not as running (one confirmation too early: one more full collection), or the reverse
     * (the verdict stands until the next collection, as it would without this rule).
     */
    private static boolean confirmationStale() {
        if (endedSinceConfirmation.get() < runningAtConfirmation) {
            return false;
        }
        int streak = overStreak;                    // racy read: only paces the confirmations
        long wait = streak <= 1 ? 0 : Math.min(1_000_000_000L, 1_000_000L << Math.min(streak - 2, 10));
        return System.nanoTime() - confirmedAt >= wait;
    }

    /** Current use of the old generation: retained large arrays, and no young garbage. */
    private static long oldGenerationUse() {
        long used = 0;
        for (MemoryPoolMXBean pool : oldPools) {
            used += pool.getUsage().getUsed();
        }
        return used;
    }

    /** Updates {@link #afterGc} if a collection happened; returns the collection count. */
    private static long refresh() {
        long count = 0;
        for (GarbageCollectorMXBean gc : collectors) {
            count += Math.max(0, gc.getCollectionCount());
        }
        if (count != seenCount) {
            long latestEnd = -1;
            long used = currentUse();
            for (GarbageCollectorMXBean gc : collectors) {
                GcInfo info = gc.getLastGcInfo();
                if (info != null && info.getEndTime() > latestEnd) {
                    latestEnd = info.getEndTime();
                    used = heapUse(info.getMemoryUsageAfterGc());
                }
            }
            afterGc = used;
            seenCount = count;
        }
        return count;
    }

    private static long heapUse(Map<String, MemoryUsage> pools) {
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : pools.entrySet()) {
            if (heapPools.contains(e.getKey())) {
                used += e.getValue().getUsed();
            }
        }
        return used;
    }

    /**
     * Requests one full collection for collection cycle {@code count}, unless another thread
     * did; decides by the occupancy after it.
     */
    private static boolean confirmedOver(long limit, long count) {
        synchronized (CONFIRM_LOCK) {
            long now = refresh();
            if (now != count) {
                // a collection ran while this thread waited: if it was a confirmation, use it
                return now == confirmedCount && confirmedUse > limit;
            }
            if (confirmedOverStands(now, limit)) {
                return true;                        // another thread confirmed while this one waited
            }
            endedSinceConfirmation.set(0);
            epoch++;                                // under CONFIRM_LOCK: the only writer
            runningAtConfirmation = running.get();
            System.gc();
            confirmedCount = refresh();
            confirmedUse = Math.min(afterGc, currentUse());
            confirmedAt = System.nanoTime();
            boolean over = confirmedUse > limit;
            overStreak = over ? overStreak + 1 : 0;
            return over;
        }
    }
}
