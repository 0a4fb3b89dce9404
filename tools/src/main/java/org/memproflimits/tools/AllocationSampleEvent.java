package org.memproflimits.tools;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The JFR event that {@link JfrAllocationTracker} commits for each sampled allocation:
 * {@value #NAME}.
 *
 * <h2>What it is</h2>
 * One event per sample, with the allocated class, the object's size, the sample's weight (the
 * bytes it stands for) and the allocating frame. Its thread is the allocating thread and its
 * stack trace the allocating stack, so {@code jfr print}, {@code jfr view} and JDK Mission
 * Control show it like the JDK's own {@code jdk.ObjectAllocationSample}.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Summing {@link #weight} over the events estimates the bytes allocated, as summing
 *       {@code Allocation.weight()} does.</li>
 *   <li>JFR records the stack at the commit, so the stack trace starts with four frames of the
 *       profiler itself ({@code JfrAllocationTracker.onAlloc} and its bridge method,
 *       {@code Profiler.onSample}, {@code Engine.onSample}) above the allocating frame - JFR has
 *       no public way to skip frames; {@link #site} names the allocating frame directly.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>
 * jfr print --events org.memproflimits.AllocationSample alloc.jfr
 * jfr summary alloc.jfr
 * </pre>
 * or, in Java, {@code recording.enable(AllocationSampleEvent.NAME).withStackTrace()}.
 */
@Name(AllocationSampleEvent.NAME)
@Label("Allocation Sample (memprof-limits)")
@Category({"Java Application", "memprof-limits"})
@Description("An allocation sampled by a memprof-limits profile; weight is the number of bytes it stands for")
@StackTrace(true)
public final class AllocationSampleEvent extends Event {
    /** The event's name, to enable it in a recording or select it in {@code jfr print --events}. */
    public static final String NAME = "org.memproflimits.AllocationSample";

    /** The allocated class. */
    @Label("Object Class")
    public Class<?> objectClass;

    /** The object's size. */
    @Label("Object Size")
    @DataAmount
    public long allocationSize;

    /** Bytes of allocation this sample stands for (see {@code Allocation.weight()}). */
    @Label("Weight")
    @DataAmount
    @Description("Bytes of allocation this sample stands for in an unbiased estimate")
    public long weight;

    /** The allocating frame, {@code package.Class.method(File.java:line)}, or null without stacks. */
    @Label("Allocation Site")
    public String site;
}
