package org.memproflimits.bench;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;

/**
 * The global memory limit against a heap bomb: {@code tasks} threads each run, under
 * {@code limitGlobalMemory}, a task that retains 1 MiB arrays ({@code new byte[1 << 20]}) until
 * it is interrupted. The heap is the JVM's ({@code -Xmx}, 512 MiB in scripts/bench.sh), the
 * global limit is {@code limit} (300 MiB). Per trial it records: OutOfMemoryErrors anywhere, the
 * time from the moment the data retained by the tasks (plus the live heap measured before the
 * trial) crossed the limit to the first and to the last task's interrupt, how much was retained
 * then, and whether a new task retaining 100 MiB then succeeds: at once, or after how many tries
 * without System.gc() (up to 10), or else after a System.gc(). Trials are run in one JVM with
 * System.gc() between them.
 *
 * <p>Arguments: out, trials, tasks, limit, recovery (bytes the recovery task retains).
 */
public final class HeapBombBench {
    private static final int MIB = 1 << 20;
    /** Tries of the recovery task without System.gc() before falling back to one. */
    private static final int RETRIES = 10;

    private HeapBombBench() {
    }

    public static void main(String[] argv) throws Exception {
        Support.Args args = new Support.Args(argv);
        Path out = Path.of(args.get("out", "bench/results"));
        int trials = (int) args.getLong("trials", 100);
        int tasks = (int) args.getLong("tasks", 4);
        long limit = args.getLong("limit", 300L * MIB);
        long recovery = args.getLong("recovery", 100L * MIB);
        args.done();

        AtomicInteger strayOom = new AtomicInteger();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (e instanceof OutOfMemoryError) {
                strayOom.incrementAndGet();
            }
            System.err.println("uncaught in " + t + ": " + e);
        });
        MemprofLimits.start();
        MemprofLimits.setGlobalMemoryLimit(limit);
        int jdk = Runtime.version().feature();
        String gc = Support.gcNames();
        String gcShort = Support.gcShortName();
        Support.recordRun(out, "heapbomb", "limit=" + limit + " tasks=" + tasks);
        System.out.printf("heap bomb: JDK %s, %s, max heap %d MiB, global limit %d MiB, %d tasks%n",
                Support.jdk(), gc, Runtime.getRuntime().maxMemory() >> 20, limit >> 20, tasks);

        ExecutorService pool = Support.platformThreads(tasks, "bomb");
        int totalOom = 0;
        try (PrintWriter w = Support.csvWriter(out.resolve("heapbomb.csv"),
                "jdk,gc,trial,max_heap_mib,limit_mib,baseline_mib,interrupted,oom,other,"
                        + "used_first_ms,used_last_ms,data_first_ms,data_last_ms,"
                        + "retained_at_last_mib,heap_used_at_last_mib,peak_used_mib,"
                        + "recovered_at_once,tries_without_gc,recovered_after_gc")) {
            for (int trial = 0; trial < trials; trial++) {
                System.gc();
                Runtime rt = Runtime.getRuntime();
                long baseline = rt.totalMemory() - rt.freeMemory();
                AtomicLong retained = new AtomicLong();
                AtomicLong crossedAt = new AtomicLong();
                AtomicLong usedCrossedAt = new AtomicLong();
                AtomicLong peakUsed = new AtomicLong();
                AtomicLong usedAtLast = new AtomicLong();
                CyclicBarrier go = new CyclicBarrier(tasks);
                List<Future<Object[]>> fs = new ArrayList<>();
                for (int k = 0; k < tasks; k++) {
                    fs.add(pool.submit(() -> {
                        go.await();
                        Object kindOrOom;
                        try {
                            Result<Integer> r = MemprofLimits.limitGlobalMemory(() -> {
                                List<byte[]> keep = new ArrayList<>();
                                while (true) {
                                    keep.add(new byte[MIB]);
                                    long now = retained.addAndGet(MIB);
                                    if (baseline + now > limit && crossedAt.get() == 0) {
                                        crossedAt.compareAndSet(0, System.nanoTime());
                                    }
                                    long used = rt.totalMemory() - rt.freeMemory();
                                    if (used > limit && usedCrossedAt.get() == 0) {
                                        usedCrossedAt.compareAndSet(0, System.nanoTime());
                                    }
                                    peakUsed.accumulateAndGet(used, Math::max);
                                }
                            });
                            if (r instanceof Result.Interrupted<Integer> i) {
                                kindOrOom = i.exception() instanceof OutOfMemoryError ? "oom"
                                        : i.limit() == Limit.GLOBAL_MEMORY ? "interrupted" : "other";
                            } else {
                                kindOrOom = "other";
                            }
                        } catch (OutOfMemoryError e) {
                            kindOrOom = "oom";
                        }
                        long at = System.nanoTime();
                        long ret = retained.get();
                        usedAtLast.set(rt.totalMemory() - rt.freeMemory());
                        return new Object[] {kindOrOom, at, ret};
                    }));
                }
                int interrupted = 0;
                int oom = 0;
                int other = 0;
                long first = Long.MAX_VALUE;
                long last = Long.MIN_VALUE;
                long retainedAtLast = 0;
                for (Future<Object[]> f : fs) {
                    Object[] r = f.get(120, TimeUnit.SECONDS);
                    switch ((String) r[0]) {
                        case "interrupted": interrupted++; break;
                        case "oom": oom++; break;
                        default: other++;
                    }
                    long at = (Long) r[1];
                    first = Math.min(first, at);
                    if (at > last) {
                        last = at;
                        retainedAtLast = (Long) r[2];
                    }
                }
                long crossed = crossedAt.get();
                // Heap use crossed the limit at or before the first interrupt: the library can
                // see it inside the allocation that crosses, before the task's own check runs.
                long usedCrossed = usedCrossedAt.get() == 0 ? first
                        : Math.min(usedCrossedAt.get(), first);
                // Recovery: a new task retaining 100 MiB, at once (the bombs' data is garbage
                // now, not yet collected), and if that is interrupted, again after System.gc().
                String atOnce = recover(recovery);
                if (atOnce.equals("oom")) {
                    oom++;
                }
                // Without System.gc(): how many tries until the heap has collected the wave's
                // garbage by itself (each try allocates, so collections do happen)?
                String later = atOnce;
                int tries = 1;
                while (later.equals("interrupted") && tries < RETRIES) {
                    later = recover(recovery);
                    tries++;
                    if (later.equals("oom")) {
                        oom++;
                    }
                }
                String afterGc = later.equals("ok") ? "" : recoverAfterGc(recovery);
                if (afterGc.equals("oom")) {
                    oom++;
                }
                totalOom += oom;
                w.println(Support.csv(jdk, gcShort, trial, rt.maxMemory() / MIB, limit / MIB,
                        baseline / MIB, interrupted, oom, other,
                        ms(first, usedCrossed), ms(last, usedCrossed),
                        ms(first, crossed), ms(last, crossed),
                        (baseline + retainedAtLast) / MIB, usedAtLast.get() / MIB,
                        peakUsed.get() / MIB, atOnce, later.equals("ok") ? tries : "", afterGc));
                w.flush();
                if (trial < 3 || oom > 0 || other > 0 || trial % 20 == 19) {
                    System.out.printf("  trial %3d: %d interrupted, %d OOM, %d other; data retained %d "
                                    + "MiB, heap used %d MiB (peak %d) at the last interrupt, %s ms "
                                    + "after heap use crossed the limit; recovery: %s %s%n",
                            trial, interrupted, oom, other, (baseline + retainedAtLast) / MIB,
                            usedAtLast.get() / MIB, peakUsed.get() / MIB, ms(last, usedCrossed),
                            atOnce, later.equals("ok") ? "ok after " + tries + " tries" : "",
                            afterGc);
                }
            }
        }
        System.out.printf("heap bomb: %d OutOfMemoryError in %d trials (+%d uncaught)%n", totalOom,
                trials, strayOom.get());
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }

    private static String ms(long at, long since) {
        return since == 0 ? "" : String.format("%.3f", (at - since) / 1e6);
    }

    private static String recover(long bytes) {
        try {
            Result<Integer> r = MemprofLimits.limitGlobalMemory(() -> {
                List<byte[]> keep = new ArrayList<>();
                for (long k = 0; k < bytes / MIB; k++) {
                    keep.add(new byte[MIB]);
                }
                return keep.size();
            });
            return r.isOk() ? "ok" : "interrupted";
        } catch (OutOfMemoryError e) {
            return "oom";
        }
    }

    private static String recoverAfterGc(long bytes) {
        System.gc();
        return recover(bytes);
    }
}
