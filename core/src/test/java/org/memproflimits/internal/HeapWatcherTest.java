package org.memproflimits.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import org.junit.jupiter.api.Test;
import org.memproflimits.MemprofLimits;

/**
 * The heap watcher recognises the collector this JVM runs (CI runs this class on G1, Parallel,
 * Serial, ZGC and Shenandoah, JDK 17 and 25), so no supported collector gets the unknown
 * collector's warning, and it watches the generations the JVM has. Deterministic.
 */
class HeapWatcherTest {

    @Test
    void theCollectorOfThisJvmIsKnown() {
        MemprofLimits.start();
        StringBuilder beans = new StringBuilder();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            beans.append(gc.getName()).append("; ");
        }
        assertFalse(HeapWatcher.hasUnknownCollector(), "collector beans " + beans + "watched as: "
                + HeapWatcher.description());
    }

    @Test
    void aHeapWithAnOldGenerationIsWatchedAsGenerational() {
        MemprofLimits.start();
        boolean old = false;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            old |= pool.getType() == MemoryType.HEAP
                    && (pool.getName().contains("Old") || pool.getName().contains("Tenured"));
        }
        assertEquals(old, HeapWatcher.description().contains("generational heap"), HeapWatcher.description());
    }
}
