package org.memproflimits.tools;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import org.memproflimits.LiveHeapProfile;
import org.memproflimits.ProfileSnapshot;

/**
 * The live heap at its peak: after each garbage collection (and a short delay for the profile's
 * cleaner to report the frees), a snapshot of a {@link LiveHeapProfile}; keeps the largest.
 * At the program's end its data is usually garbage already, so a snapshot taken then says
 * little; this one shows what the program held when it held the most.
 */
final class LivePeak {
    /** Time for the cleaner thread to run onFree for what the collection freed. */
    private static final long SETTLE_MILLIS = 50;

    private final LiveHeapProfile live;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "memprof-live-peak");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final NotificationListener listener = (n, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())
                && scheduled.compareAndSet(false, true)) {
            executor.schedule(this::take, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
        }
    };
    private ProfileSnapshot peak;
    private int collections;

    LivePeak(LiveHeapProfile live) {
        this.live = live;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
                emitters.add(e);
            }
        }
    }

    private synchronized void take() {
        scheduled.set(false);
        collections++;
        ProfileSnapshot s = live.snapshot();
        if (peak == null || s.totalBytes() > peak.totalBytes()) {
            peak = s;
        }
    }

    /**
     * Stops watching; returns the peak, or - if no collection happened, so that nothing was
     * freed - the profile as it is.
     */
    synchronized ProfileSnapshot stop() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (ListenerNotFoundException ignored) {
                // not registered
            }
        }
        executor.shutdownNow();
        return peak != null ? peak : live.snapshot();
    }

    /** @return the number of collections seen (for the summary line) */
    synchronized int collections() {
        return collections;
    }
}
