package org.memproflimits.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.memproflimits.Memprof;
import org.memproflimits.Profile;

/** The JFR tracker used as the library user would: a recording, a profile, a dump. */
class JfrAllocationTrackerTest {
    static volatile Object sink;

    @TempDir
    Path dir;

    @Test
    void eachSampleIsOneEventWithClassSizeWeightSiteThreadAndStack() throws Exception {
        Path file = dir.resolve("alloc.jfr");
        Profile p;
        try (Recording r = new Recording()) {
            r.enable(AllocationSampleEvent.NAME).withStackTrace();
            r.start();
            p = Memprof.start(64 * 1024, 8, new JfrAllocationTracker());
            for (int i = 0; i < 100; i++) {
                sink = new int[256 * 1024];                      // 1 MiB: always sampled
            }
            Memprof.stop();
            r.stop();
            r.dump(file);
        }
        p.discard();
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(AllocationSampleEvent.NAME)).toList();
        assertEquals(p.samples(), events.size(), "one event per sample");
        long mine = events.stream()
                .filter(e -> e.getClass("objectClass").getName().equals("[I")
                        && e.getLong("allocationSize") == 4L * 256 * 1024 + 16)
                .peek(e -> {
                    assertEquals(e.getLong("allocationSize"), e.getLong("weight"));
                    assertTrue(e.getString("site").startsWith(JfrAllocationTrackerTest.class.getName()
                            + ".eachSampleIsOneEvent"), e.getString("site"));
                    assertEquals(Thread.currentThread().getName(), e.getThread().getJavaName());
                    assertTrue(e.getStackTrace().getFrames().size() > 4);
                })
                .count();
        assertTrue(mine >= 95, "events for the 100 arrays: " + mine);
        assertTrue(Files.size(file) > 0);
    }
}
