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
 *       notification. Only records that carry memory figures count: the concurrent collectors
 *       also publish their pauses as collections ("ZGC Pauses", "Shenandoah Pauses"), whose
 *       records say 0 bytes used before and after; taking one of those for the heap's figure
 *       read an empty heap and let the heap bomb through.</li>
 *   <li>Data retained since that collection shows in no post-collection figure: G1 puts large
 *       arrays straight into old regions and may run no collection at all while a burst of them
 *       fills the heap. On a generational heap the old generation's current use shows them (and
 *       no young garbage), and so does current use near the heap's maximum (the last 5%). Data
 *       retained in the young generation shows only from the next collection on (there nothing
 *       tells it from garbage), a young generation's worth of allocation at most. ZGC's and
 *       Shenandoah's young generations have no fixed size, so there the heap also signals once
 *       it has allocated, since the last confirmation, as much as would take the occupancy
 *       that confirmation found over the limit if all of it were retained (without it, the heap
 *       bomb of HeapBombBench came within a few MiB of ZGC's maximum). A heap of one
 *       generation (ZGC before generational ZGC, Shenandoah in its default mode, Epsilon, a
 *       collector this class does not know) has no such split: there current use over the
 *       limit is itself the signal, once per collection cycle and, as on ZGC, again whenever
 *       the heap has allocated enough since the last confirmation (a concurrent cycle takes
 *       long enough for a heap bomb to fill the rest of the heap: seen on Shenandoah). But every cycle
 *       collects the whole heap there, so a cycle of the collector's own whose figure says
 *       "over" is adopted as the verdict, as if it were a confirmation (4. below) - unless a
 *       task under the limit ended during the cycle, whose data it may count.</li>
 *   <li>But a young collection's figure, the old generation's current use and a single
 *       generation's current use count garbage too (objects promoted and since dead, G1's dead
 *       humongous arrays, all that a concurrent collector has not reclaimed yet). So none of
 *       them interrupts by itself: when one of them shows the heap over the limit, one thread requests a full
 *       collection ({@code System.gc()}, which on ZGC and Shenandoah runs a whole concurrent
 *       cycle and returns when it ends), and the occupancy after it decides. That happens at
 *       most once per collection cycle, and only when the heap is near the limit - when the JVM
 *       is about to collect anyway (on a heap of one generation, at least once per cycle while
 *       current use is over the limit: set the limit above the heap's usual current use there,
 *       or expect the library to add cycles of its own). Should no collection run (Epsilon,
 *       {@code -XX:+DisableExplicitGC}), the last collection's figure decides, or current use
 *       when no collector ever published one (Epsilon frees nothing: its current use is its
 *       occupancy).</li>
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
 *
 * <h2>Collectors</h2>
 * G1, Parallel, Serial, generational ZGC (JDK 21+) and generational Shenandoah have an old
 * generation ("Old"/"Tenured" pools); ZGC on JDK 17 ("ZHeap") and Shenandoah ("Shenandoah")
 * have one. What the verdict measures is the same on all: the heap's use right after a
 * collection the library requested, or, on a heap of one generation, after a cycle that says
 * "over". For a
 * concurrent collector that figure also holds what the other threads allocated while the cycle
 * ran (live for that cycle), so it errs towards "over".
 * A collector whose beans this class does not recognise (see {@link #KNOWN_COLLECTORS}) is
 * watched as a heap of one generation, and the engine says so once through
 * {@code System.Logger} when it starts: never a silently disabled limit.
 *
 * <h2>Field access</h2>
 * The collector and pool fields are written once, under the class lock, by {@link #start},
 * which the engine runs before it publishes {@code started} (no scope exists before, so no
 * sampled thread calls {@link #isOverLimit} before); the sampled threads only read them. The
 * figures ({@code seenCount}, {@code afterGc}, {@code figuresSeen}) are volatile and written by
 * any sampled thread that sees a new collection count: two such threads may race, and each
 * writes a figure of a collection at least as recent as the count it read. The confirmation
 * fields ({@code confirmedCount}, {@code confirmedUse}, {@code confirmedAt}, {@code overStreak},
 * {@code current}) are written only under {@code CONFIRM_LOCK}; a cohort's {@code running} by
 * every global-limit scope at its start and end, atomically, and its {@code older} link by
 * whichever thread finds the cohorts behind it empty.
 */
final class HeapWatcher {
    private static final Runtime RUNTIME = Runtime.getRuntime();
    private static final Object CONFIRM_LOCK = new Object();

    /**
     * The collector beans of the HotSpot collectors of JDK 17 to 25 whose figures the algorithm
     * above was checked against; any other bean makes {@link #start} report an unknown collector.
     */
    static final Set<String> KNOWN_COLLECTORS = Set.of(
            "G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC",
            "PS Scavenge", "PS MarkSweep", "Copy", "MarkSweepCompact",
            "ZGC Cycles", "ZGC Pauses", "ZGC Minor Cycles", "ZGC Minor Pauses",
            "ZGC Major Cycles", "ZGC Major Pauses",
            "Shenandoah Cycles", "Shenandoah Pauses", "Epsilon Heap");

    private static GarbageCollectorMXBean[] collectors = new GarbageCollectorMXBean[0];
    private static MemoryPoolMXBean[] oldPools = new MemoryPoolMXBean[0];
    private static Set<String> heapPools = Set.of();
    private static long dangerZone = Long.MAX_VALUE;
    private static boolean started;
    /** How the heap is watched, for the engine's start message. */
    private static String description = "not started";
    /** Whether a collector bean is not one of {@link #KNOWN_COLLECTORS}. */
    private static boolean unknownCollector;
    /** ZGC or Shenandoah: System.gc() runs a concurrent cycle, and a young generation, if
     *  any, has no fixed size. */
    private static boolean concurrent;

    /** Sum of the collectors' counts when {@link #afterGc} was last computed. */
    private static volatile long seenCount = -1;
    /** Heap use after the most recent collection seen. */
    private static volatile long afterGc;
    /** When that collection started, System.nanoTime(); Long.MIN_VALUE if unknown. */
    private static volatile long afterGcStart = Long.MIN_VALUE;
    /** System.nanoTime() minus the JVM's uptime, in which GcInfo's times are given. */
    private static long vmStartNanos;
    /** When the last global-limit scope ended, System.nanoTime(). */
    private static volatile long lastScopeEnd = Long.MIN_VALUE;
    /** Whether any collector has published a record with memory figures. */
    private static volatile boolean figuresSeen;
    /** The collection count after the last requested full collection; -1 if none. */
    private static volatile long confirmedCount = -1;
    /** Occupancy measured right after that full collection. */
    private static volatile long confirmedUse;
    /** Current use right after it: what was allocated since is current use minus this. */
    private static volatile long usedAtConfirmation;
    /** When the last requested collection ended, System.nanoTime(). */
    private static volatile long confirmedAt;
    /** Requested collections in a row that found the heap over the limit. */
    private static int overStreak;
    /** The cohort new global-limit scopes join; replaced by each confirmation. */
    private static volatile Cohort current = new Cohort(null);

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
        List<String> names = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            names.add(gc.getName());
            if (!KNOWN_COLLECTORS.contains(gc.getName())) {
                unknown.add(gc.getName());
            }
            if (gc instanceof GarbageCollectorMXBean g) {
                gcs.add(g);
            } else {
                unknown.add(gc.getName() + " (no com.sun.management figures)");
            }
        }
        heapPools = Set.copyOf(heap);
        collectors = gcs.toArray(new GarbageCollectorMXBean[0]);
        long max = RUNTIME.maxMemory();
        dangerZone = max == Long.MAX_VALUE ? Long.MAX_VALUE : max - max / 20;
        // GcInfo's times and the uptime both come from the VM's monotonic clock (as nanoTime).
        vmStartNanos = System.nanoTime() - ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000;
        unknownCollector = !unknown.isEmpty();
        concurrent = names.stream().anyMatch(n -> n.startsWith("ZGC") || n.startsWith("Shenandoah"));
        String shape = oldPools.length > 0
                ? "generational heap (old generation " + poolNames(oldPools) + ")"
                : "heap of one generation " + heap + " (current use over the limit signals)";
        description = "collectors " + names + ", " + shape
                + (concurrent ? ", concurrent (allocation since the last confirmation signals)" : "");
        if (unknownCollector) {
            description += "; unknown collector " + unknown + ": current use over the global memory"
                    + " limit is confirmed by System.gc(), at most once per collection cycle";
        }
        refresh();
        started = true;
    }

    /** How the heap is watched: its collectors, its generations, the signal used. */
    static synchronized String description() {
        return description;
    }

    /** Whether a collector bean is not one of {@link #KNOWN_COLLECTORS}. */
    static synchronized boolean hasUnknownCollector() {
        return unknownCollector;
    }

    private static String poolNames(MemoryPoolMXBean[] pools) {
        List<String> names = new ArrayList<>();
        for (MemoryPoolMXBean pool : pools) {
            names.add(pool.getName());
        }
        return names.toString();
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
        // With no collector's figure ever published (Epsilon), current use is the figure.
        long after = figuresSeen ? afterGc : now;
        if (after <= limit && now < dangerZone && !retainedSinceSignal(count, limit, now)) {
            return false;
        }
        // Over by some signal, and not confirmed over: confirm, even if the last confirmation
        // said under - data retained since then is what the signal shows.
        return confirmedOver(limit, count);
    }

    /**
     * The signal of data retained since the last collection (3. above), current use being
     * over the limit: the old generation's current use; on a heap of one generation, a cycle
     * since the last confirmation; and on both, for a concurrent collector (whose young
     * generation has no fixed size), as much allocated since the last confirmation as would
     * take the occupancy it found over the limit if all of it were retained.
     */
    private static boolean retainedSinceSignal(long count, long limit, long now) {
        if (oldPools.length > 0 && oldGenerationUse() > limit) {
            return true;
        }
        if (!concurrent && oldPools.length > 0) {
            return false;
        }
        return (oldPools.length == 0 && count != confirmedCount)
                || now - usedAtConfirmation > limit - confirmedUse;
    }

    /**
     * Whether the last collection can be adopted as a confirmation that the heap is over (3.
     * above): the heap has one generation, so the cycle collected all of it; it ended since the
     * last confirmation; the heap is not in its last 5%; its figure says "over"; and either no
     * global-limit scope ended after the cycle started (2 ms margin for the clocks'
     * granularity) - a scope whose data it may count though the task has dropped it - or the
     * heap stayed over at the requested collections before, and the back-off (5. above) defers
     * the next one. A figure that says "under" is never adopted: a concurrent cycle's figure is
     * as old as the cycle, and a heap bomb fills the rest of the heap within two cycles
     * (measured on Shenandoah). Under CONFIRM_LOCK.
     */
    private static boolean lastCycleIsAVerdict(long count, long limit) {
        if (oldPools.length > 0 || !figuresSeen || count == confirmedCount || currentUse() >= dangerZone) {
            return false;
        }
        return afterGc > limit && (lastScopeEnd < afterGcStart - 2_000_000
                || System.nanoTime() - confirmedAt < backOff());
    }

    /**
     * The global-limit scopes that started between two confirmations. A confirmation closes the
     * current cohort and opens a new one; the closed cohorts stay linked until all their scopes
     * have ended, which is when the confirmation's verdict goes stale (5. above).
     */
    static final class Cohort {
        /** Scopes of this cohort still running. */
        final AtomicLong running = new AtomicLong();
        /** The cohort closed before this one, while any of its scopes may run; null after. */
        volatile Cohort older;

        Cohort(Cohort older) {
            this.older = older;
        }
    }

    /**
     * A global-limit scope starts; returns its cohort, to pass to {@link #scopeEnded}.
     * Allocation-free. A scope that joins a cohort just as a confirmation closes it counts as
     * running at that confirmation: at worst one more confirmation, never a stale verdict kept.
     */
    static Cohort scopeStarted() {
        Cohort c = current;
        c.running.incrementAndGet();
        return c;
    }

    /** A global-limit scope ends: its task's data may be garbage now. Allocation-free. */
    static void scopeEnded(Cohort cohort) {
        cohort.running.decrementAndGet();
        if (oldPools.length == 0) {
            lastScopeEnd = System.nanoTime();       // read only for a heap of one generation
        }
    }

    /** Whether a confirmation found the heap over, no collection ran since, and it is not stale. */
    private static boolean confirmedOverStands(long count, long limit) {
        return count == confirmedCount && confirmedUse > limit && !confirmationStale();
    }

    /**
     * Whether every scope running at the last confirmation has ended (5. above): the closed
     * cohorts have no scope left. Those found empty are unlinked, so the walk stays short.
     */
    private static boolean confirmationStale() {
        boolean ended = true;
        for (Cohort prev = current, closed = prev.older; closed != null; closed = closed.older) {
            if (closed.running.get() > 0) {
                ended = false;
                prev = closed;
            } else {
                prev.older = closed.older;          // unlink: only a cohort seen empty is skipped
            }
        }
        if (!ended) {
            return false;
        }
        return System.nanoTime() - confirmedAt >= backOff();
    }

    /** How long after a requested collection the next may be requested (5. above). */
    private static long backOff() {
        int streak = overStreak;                    // racy read: only paces the confirmations
        return streak <= 1 ? 0 : Math.min(1_000_000_000L, 1_000_000L << Math.min(streak - 2, 10));
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
            long start = Long.MIN_VALUE;
            for (GarbageCollectorMXBean gc : collectors) {
                GcInfo info = gc.getLastGcInfo();
                if (info == null || info.getEndTime() <= latestEnd) {
                    continue;
                }
                long after = heapUse(info.getMemoryUsageAfterGc());
                if (after == 0 && heapUse(info.getMemoryUsageBeforeGc()) == 0) {
                    continue;                       // a pause's record: no figures (2. above)
                }
                latestEnd = info.getEndTime();
                used = after;
                start = vmStartNanos + info.getStartTime() * 1_000_000;
                figuresSeen = true;
            }
            if (latestEnd < 0 && figuresSeen) {
                used = afterGc;                     // only pauses since: keep the last figure
                start = afterGcStart;
            }
            afterGcStart = start;
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
            current = new Cohort(current);          // under CONFIRM_LOCK: the only writer
            boolean adopted = lastCycleIsAVerdict(now, limit);
            if (adopted) {
                confirmedCount = now;               // (3. above)
            } else {
                System.gc();
                confirmedCount = refresh();
                confirmedAt = System.nanoTime();
            }
            // No collection ran (Epsilon, -XX:+DisableExplicitGC): the last figure decides, or
            // current use if no collector ever published one (4. above).
            long used = currentUse();
            confirmedUse = confirmedCount == count && !figuresSeen ? used : Math.min(afterGc, used);
            usedAtConfirmation = used;
            boolean over = confirmedUse > limit;
            overStreak = !over ? 0 : adopted ? overStreak : overStreak + 1;
            return over;
        }
    }
}
