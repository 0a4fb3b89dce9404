package org.memproflimits.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Task;
import org.memproflimits.Token;
import org.memproflimits.bench.workload.Workloads;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the library on allocation-heavy code, in three modes, each in its own fresh JVM:
 * <ul>
 *   <li>{@code never}: the engine is never loaded (no native library, no heap sampling);</li>
 *   <li>{@code started}: {@link MemprofLimits#start()} in setup, so every thread is sampled,
 *       but no limit is active (each sample costs a map lookup that finds nothing);</li>
 *   <li>{@code limited}: each operation runs inside {@code limitWithToken} +
 *       {@code limitGlobalMemory} + {@code limitAllocations}, all armed, none reached (a fresh
 *       token, a 1 TiB budget, and a global limit at 75% of the maximum heap: the heap's current
 *       use regularly exceeds it with garbage, so the slower path of the global check runs
 *       too).</li>
 * </ul>
 * The sampling interval is set by the fork's {@code -Dorg.memproflimits.samplingInterval}
 * (scripts/bench.sh sweeps it). Setup checks /proc/self/maps, so a "never" fork that loaded the
 * native library, or a "started" fork that did not, fails instead of reporting.
 *
 * <p>Besides JMH's wall-clock time, each operation's CPU time in the benchmark thread is summed
 * into the auxiliary counters {@code cpuNs} and {@code ops}: on a shared machine, preemption by
 * other processes inflates wall-clock time but not the thread's CPU time, and the library's cost
 * (the sample callback) is paid in the allocating thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+UseG1GC"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class OverheadBench {
    static final long ALLOCATION_BUDGET = 1L << 40;

    @Param({"never", "started", "limited"})
    public String mode;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** CPU time of the benchmark thread, summed per iteration (secondary metrics in JMH's JSON). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        public long cpuNs;
        public long ops;

        @Setup(Level.Iteration)
        public void reset() {
            cpuNs = 0;
            ops = 0;
        }
    }

    private boolean limited;
    private Map<String, Object> document;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        document = Workloads.document();
        switch (mode) {
            case "never":
                break;
            case "started":
            case "limited":
                MemprofLimits.start();
                MemprofLimits.setGlobalMemoryLimit(Runtime.getRuntime().maxMemory() / 4 * 3);
                break;
            default:
                throw new IllegalArgumentException("mode " + mode);
        }
        limited = mode.equals("limited");
        checkLoaded(!mode.equals("never"));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        checkLoaded(!mode.equals("never"));
        if (!mode.equals("never")) {
            System.out.println("\n[memprof-limits] sampling interval in force: "
                    + MemprofLimits.samplingInterval() + " bytes");
        }
    }

    /** Fails the fork if the native shim's presence in this JVM is not what the mode says. */
    static void checkLoaded(boolean expected) throws IOException {
        boolean loaded = Files.readString(Path.of("/proc/self/maps")).contains("memproflimits");
        if (loaded != expected) {
            throw new IllegalStateException("native shim " + (loaded ? "loaded" : "not loaded")
                    + " in a fork that should " + (expected ? "" : "not ") + "have it");
        }
    }

    private long run(Cpu cpu, Task<Long, RuntimeException> work) {
        long t0 = THREADS.getCurrentThreadCpuTime();
        long r;
        if (!limited) {
            r = work.run();
        } else {
            r = MemprofLimits.limitWithToken(new Token(), () ->
                    MemprofLimits.limitGlobalMemory(() ->
                            MemprofLimits.limitAllocations(ALLOCATION_BUDGET, work)))
                    .orElseThrow().orElseThrow().orElseThrow().value();
        }
        cpu.cpuNs += THREADS.getCurrentThreadCpuTime() - t0;
        cpu.ops++;
        return r;
    }

    /** The four workloads in a row: the figure the sampling-interval sweep is made of. */
    @Benchmark
    public long suite(Cpu cpu) {
        Map<String, Object> doc = document;
        return run(cpu, () -> Workloads.objectGraph() + Workloads.strings() + Workloads.collections()
                + Workloads.json(doc));
    }

    @Benchmark
    public long objectGraph(Cpu cpu) {
        return run(cpu, Workloads::objectGraph);
    }

    @Benchmark
    public long strings(Cpu cpu) {
        return run(cpu, Workloads::strings);
    }

    @Benchmark
    public long collections(Cpu cpu) {
        return run(cpu, Workloads::collections);
    }

    @Benchmark
    public long json(Cpu cpu) {
        Map<String, Object> doc = document;
        return run(cpu, () -> Workloads.json(doc));
    }
}
