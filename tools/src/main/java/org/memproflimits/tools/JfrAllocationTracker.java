package org.memproflimits.tools;

import org.memproflimits.Allocation;
import org.memproflimits.Memprof;
import org.memproflimits.Tracker;

/**
 * A {@link Tracker} that turns each sampled allocation into a JFR event,
 * {@link AllocationSampleEvent} ({@value AllocationSampleEvent#NAME}), for {@code jfr print} and
 * JDK Mission Control.
 *
 * <h2>What it is</h2>
 * Each sample commits one event in the allocating thread, with the allocated class, the
 * object's size, the sample's weight and the allocating frame; JFR adds the thread and the
 * stack trace. The events are recorded only while a recording that enables them runs - started
 * with {@code jdk.jfr.Recording} or {@code -XX:StartFlightRecording} and a settings file naming
 * the event; otherwise committing costs one check.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Thread-safe and lock-free on the JFR side (JFR buffers events per thread).</li>
 *   <li>Tracks nothing ({@code onAlloc} returns {@code null}): the events are a log of samples;
 *       sum {@code weight} over events for estimated bytes.</li>
 *   <li>The event class is loaded and JFR's writer warmed up when the tracker is created, so the
 *       sampler does not load classes.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * try (Recording r = new Recording()) {
 *     r.enable(AllocationSampleEvent.NAME).withStackTrace();
 *     r.start();
 *     Memprof.start(512 * 1024, 64, new JfrAllocationTracker());
 *     runWorkload();
 *     Memprof.stop();
 *     r.dump(Path.of("alloc.jfr"));   // jfr print --events org.memproflimits.AllocationSample alloc.jfr
 * }
 * }</pre>
 */
public final class JfrAllocationTracker implements Tracker<Void> {

    /** Creates the tracker, to pass to {@link Memprof#start}. */
    public JfrAllocationTracker() {
        AllocationSampleEvent warmUp = new AllocationSampleEvent();
        warmUp.isEnabled();
        warmUp.shouldCommit();
    }

    /**
     * Commits one event for the sample. Called by the profiler.
     *
     * @param a the sample
     * @return {@code null}: nothing is tracked
     */
    @Override
    public Void onAlloc(Allocation a) {
        AllocationSampleEvent e = new AllocationSampleEvent();
        if (e.isEnabled()) {
            e.objectClass = a.type();
            e.allocationSize = a.size();
            e.weight = a.weight();
            e.site = a.stack().isEmpty() ? null : site(a.stack().get(0));
            e.commit();
        }
        return null;
    }

    /** {@code package.Class.method(File.java:42)}, without the loader and module prefixes. */
    private static String site(StackTraceElement f) {
        String where = f.getFileName() == null ? "Unknown Source"
                : f.getLineNumber() >= 0 ? f.getFileName() + ":" + f.getLineNumber() : f.getFileName();
        return f.getClassName() + "." + f.getMethodName() + "(" + where + ")";
    }
}
