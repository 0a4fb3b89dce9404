package org.memproflimits.examples;

import java.lang.management.ManagementFactory;
import org.memproflimits.AllocationProfile;
import org.memproflimits.Memprof;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Profile;

/**
 * {@link OverheadCheck}'s workload timed under an allocation profiler, for
 * {@code scripts/profiler-overhead.sh}. Modes:
 * <ul>
 *   <li>{@code off}: no profiler in this program (the script may attach one with JVM flags:
 *       async-profiler's agent, JFR);</li>
 *   <li>{@code memprof INTERVAL STACK}: a memprof-limits profile into an
 *       {@link AllocationProfile}, started before the first round and stopped after the last.</li>
 * </ul>
 * Prints {@code wall-ms cpu-ms samples allocated-bytes}: the best elapsed time and the best CPU
 * time of the main thread over the timed rounds (the first third warms up the JIT), the
 * profile's samples (0 when off), and the main thread's allocation. The three profilers compared
 * do their per-sample work in the allocating thread, so its CPU time shows their cost even on a
 * machine shared with other jobs, where elapsed time also counts waiting for a core.
 */
public final class ProfilerOverheadCheck {
    private ProfilerOverheadCheck() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "off";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        long interval = args.length > 2 ? Long.parseLong(args[2]) : 512 * 1024;
        int stack = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        Profile profile = null;
        AllocationProfile allocations = new AllocationProfile();
        if (mode.equals("memprof")) {
            MemprofLimits.start();
            profile = Memprof.start(interval, stack, allocations);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated0 = threads.getCurrentThreadAllocatedBytes();
        long best = Long.MAX_VALUE;
        long bestCpu = Long.MAX_VALUE;
        for (int r = 0; r < rounds; r++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            OverheadCheck.workload();
            long t = System.nanoTime() - t0;
            long c = threads.getCurrentThreadCpuTime() - c0;
            if (r >= rounds / 3) {
                best = Math.min(best, t);
                bestCpu = Math.min(bestCpu, c);
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocated0;
        if (profile != null) {
            Memprof.stop();
            profile.discard();
        }
        System.out.println(best / 1_000_000.0 + " " + bestCpu / 1_000_000.0 + " " + (profile == null ? 0 : profile.samples()) + " " + allocated);
    }
}
