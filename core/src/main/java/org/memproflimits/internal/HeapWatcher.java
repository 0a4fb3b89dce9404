package org.memproflimits.internal;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The heap's occupancy, as the global memory limit sees it.
 *
 * <p>Occupancy is the heap's use after the most recent garbage collection, so that garbage never
 * counts; a GC-notification listener keeps it in a volatile field, and the check at a sample is
 * a field read while the heap is under the limit. Two refinements, measured on G1 and Parallel:
 * <ul>
 *   <li>Current use bounds occupancy from above, and is cheap ({@code Runtime}, about 60 ns): at
 *       or below the limit, nothing is over, whatever the last collection said. This is also
 *       what lets new tasks run as soon as a collection has freed the data of interrupted
 *       ones, without waiting for its notification.</li>
 *   <li>Data retained between two collections shows up in no post-collection figure: G1 puts
 *       large arrays straight into old regions, and a burst of them can fill the heap before the
 *       next collection. So when current use is over the limit, the old generation's current
 *       use - which holds such arrays, and no young garbage - is compared with the limit too.
 *       Collectors with a single heap pool (Shenandoah, single-generation ZGC) only have the
 *       post-collection figure.</li>
 * </ul>
 */
final class HeapWatcher {
    private static final Runtime RUNTIME = Runtime.getRuntime();
    private static volatile long usedAfterLastGc;
    private static MemoryPoolMXBean[] oldPools = new MemoryPoolMXBean[0];
    private static Set<String> heapPools = Set.of();
    private static boolean started;

    private HeapWatcher() {
    }

    static synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        Set<String> heap = new HashSet<>();
        List<MemoryPoolMXBean> old = new ArrayList<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heap.add(pool.getName());
                String name = pool.getName();
                if (name.contains("Old") || name.contains("Tenured")) {
                    old.add(pool);
                }
            }
        }
        heapPools = Set.copyOf(heap);
        oldPools = old.toArray(new MemoryPoolMXBean[0]);
        usedAfterLastGc = currentUse();
        NotificationListener listener = HeapWatcher::onGc;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            // "Pauses" beans (ZGC, Shenandoah) report use at a pause of a concurrent cycle,
            // garbage included; their "Cycles" bean reports the end of the cycle.
            if (gc instanceof NotificationEmitter emitter && !gc.getName().endsWith("Pauses")) {
                emitter.addNotificationListener(listener, null, null);
            }
        }
    }

    private static void onGc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(e.getKey())) {
                used += e.getValue().getUsed();
            }
        }
        usedAfterLastGc = used;
    }

    static long currentUse() {
        return RUNTIME.totalMemory() - RUNTIME.freeMemory();
    }

    /** @return the heap's use after the most recent collection the listener has seen */
    static long usedAfterLastGc() {
        return usedAfterLastGc;
    }

    static boolean isOverLimit(long limit) {
        if (limit < 0) {
            return false;
        }
        long now = currentUse();
        if (now <= limit) {
            return false;
        }
        long afterGc = usedAfterLastGc;
        if (afterGc > limit && afterGc <= now) {
            return true;
        }
        long old = 0;
        for (MemoryPoolMXBean pool : oldPools) {
            old += pool.getUsage().getUsed();
        }
        return old > limit;
    }
}
