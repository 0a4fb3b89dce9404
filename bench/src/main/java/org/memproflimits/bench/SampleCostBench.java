package org.memproflimits.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Token;

/**
 * The CPU cost of one heap sample, measured where it stands far above the noise.
 *
 * <p>The overhead suite ({@link OverheadBench}) runs realistic code, where at useful intervals
 * the engine's cost is a fraction of a percent and this machine's run-to-run noise is several
 * percent: it bounds the cost but cannot measure it. Here one thread does nothing but allocate
 * 4 KiB arrays (about 20 GB/s) at a tiny sampling interval ({@code --interval}, 4 KiB: one sample
 * per array), so that samples are a large part of the CPU time. The cost of a sample is then
 * {@code (CPU time per GiB in this mode - CPU time per GiB never loaded) / (samples per GiB)},
 * with the "never" figure from a fresh JVM of the same round ({@code scripts/bench.sh} alternates
 * them). The overhead of any workload follows: {@code cost × allocation rate / interval}.
 *
 * <p>Modes as in {@link OverheadBench}: {@code never}, {@code started}, {@code limited} (all
 * three limits armed around the measured loop, none reached). Each JVM warms up, then measures
 * {@code --runs} passes of 1 GiB and records the median CPU time of a pass (thread CPU time).
 * Output: one line per JVM appended to {@code sample-cost.csv}.
 */
public final class SampleCostBench {
    private static final long GIB = 1L << 30;
    private static final long CHUNK = 4096;
    static volatile Object sink;

    private SampleCostBench() {
    }

    public static void main(String[] argv) {
        Support.Args args = new Support.Args(argv);
        Path out = Path.of(args.get("out", "bench/results/quick"));
        String mode = args.get("mode", "started");
        int round = (int) args.getLong("round", 1);
        int runs = (int) args.getLong("runs", 9);
        args.done();
        if (!mode.equals("never") && !mode.equals("started") && !mode.equals("limited")) {
            throw new IllegalArgumentException("--mode=" + mode + ": never, started or limited");
        }
        long interval = 0;
        if (!mode.equals("never")) {
            MemprofLimits.start();
            MemprofLimits.setGlobalMemoryLimit(Runtime.getRuntime().maxMemory() / 4 * 3);
            interval = MemprofLimits.samplingInterval();
        }
        for (int w = 0; w < 6; w++) {
            pass(mode);
        }
        long[] ns = new long[runs];
        for (int r = 0; r < runs; r++) {
            ns[r] = pass(mode);
        }
        Arrays.sort(ns);
        long median = ns[runs / 2];
        int jdk = Runtime.version().feature();
        Support.appendLine(out.resolve("sample-cost.csv"),
                "jdk,round,mode,interval,runs,median_cpu_ns_per_gib,min_cpu_ns_per_gib,max_cpu_ns_per_gib",
                Support.csv(jdk, round, mode, interval, runs, median, ns[0], ns[runs - 1]));
        System.out.printf("sample cost: JDK %d round %d %-8s interval %7d: %.2f ms CPU per GiB "
                + "(min %.2f, max %.2f)%n", jdk, round, mode, interval, median / 1e6, ns[0] / 1e6,
                ns[runs - 1] / 1e6);
    }

    /** CPU nanoseconds to allocate 1 GiB in 4 KiB arrays, in the given mode. */
    private static long pass(String mode) {
        if (!mode.equals("limited")) {
            return allocate();
        }
        long[] cpu = new long[1];
        MemprofLimits.limitWithToken(new Token(), () ->
                MemprofLimits.limitGlobalMemory(() ->
                        MemprofLimits.limitAllocations(1L << 50, () -> {
                            cpu[0] = allocate();
                            return cpu[0];
                        })))
                .orElseThrow().orElseThrow().orElseThrow();
        return cpu[0];
    }

    private static long allocate() {
        Object[] ring = new Object[64];
        int i = 0;
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long t0 = threads.getCurrentThreadCpuTime();
        for (long b = 0; b < GIB; b += CHUNK) {
            ring[i++ & 63] = new byte[(int) CHUNK - 16];
        }
        long t = threads.getCurrentThreadCpuTime() - t0;
        sink = ring;
        return t;
    }
}
