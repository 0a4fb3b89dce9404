package org.memproflimits.bench;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;

/**
 * Accuracy of allocation limits: a task that allocates 1 KiB arrays forever runs under
 * {@code limitAllocations(limit)}; how many bytes has it allocated when it is interrupted?
 *
 * <p>The task counts its own allocation exactly: it adds the array's footprint (calibrated on a
 * platform thread with {@code ThreadMXBean.getCurrentThreadAllocatedBytes}) to a counter just
 * before each allocation, so the count includes the allocation at which the interrupt arises.
 * On platform threads the thread's allocated-bytes difference across the limit call is recorded
 * too: it is the count plus the library's own allocation (scope, interrupt, result).
 *
 * <p>Arguments: out, threads (platform | virtual), limits (comma separated, e.g. 1m,16m), trials,
 * budget-s (time cap per limit; the trial count reached is recorded), warmup.
 */
public final class AccuracyBench {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** 1 KiB arrays: footprint 1024 bytes with a 16-byte header (checked by calibration). */
    static final int CHUNK_LENGTH = 1024 - 16;

    private AccuracyBench() {
    }

    /**
     * The runaway task and its exact count. Everything it needs is allocated before the limit
     * call, so that inside the limit it allocates nothing but the counted chunks.
     */
    static final class Counter {
        static volatile Object sink;
        final long footprint;
        final Object[] ring = new Object[16];
        long bytes;

        Counter(long footprint) {
            this.footprint = footprint;
            sink = ring;
        }

        /** Allocates {@code n} chunks and nothing else: a task that ends by itself. */
        Object runFor(int n) {
            Object[] ring = this.ring;
            for (int i = 0; i < n; i++) {
                bytes += footprint;
                ring[i & 15] = new byte[CHUNK_LENGTH];
            }
            return null;
        }

        long run() {
            Object[] ring = this.ring;
            int i = 0;
            while (true) {
                bytes += footprint;             // counted before: includes the interrupted one
                ring[i++ & 15] = new byte[CHUNK_LENGTH];
            }
        }
    }

    public static void main(String[] argv) throws Exception {
        Support.Args args = new Support.Args(argv);
        Path out = Path.of(args.get("out", "bench/results"));
        String kind = args.get("threads", "platform");
        List<Long> limits = args.getSizes("limits", "1m,16m,256m,1g");
        int trials = (int) args.getLong("trials", 1000);
        double budget = args.getDouble("budget-s", 120);
        int warmup = (int) args.getLong("warmup", 200);
        args.done();

        MemprofLimits.start();
        long interval = MemprofLimits.samplingInterval();
        long footprint = calibrate();
        int jdk = Runtime.version().feature();
        Support.recordRun(out, "accuracy-" + kind, "interval=" + interval + " footprint=" + footprint);
        System.out.printf("accuracy: JDK %s, %s threads, interval %d, chunk footprint %d bytes%n",
                Support.jdk(), kind, interval, footprint);
        ExecutorService exec = kind.equals("virtual") ? Support.virtualThreads()
                : Support.platformThreads(1, "limited");

        for (int k = 0; k < warmup; k++) {
            trial(exec, 4L << 20, footprint);
        }
        exactness(exec, footprint, out, kind, interval);
        try (PrintWriter raw = Support.csvWriter(out.resolve("accuracy-raw.csv"),
                "jdk,threads,interval,limit,trial,counted,overshoot,mx_diff,result")) {
            for (long limit : limits) {
                long t0 = System.nanoTime();
                int done = 0;
                long[] over = new long[trials];
                int early = 0;
                int wrong = 0;
                while (done < trials && (System.nanoTime() - t0) / 1e9 < budget) {
                    long[] t = trial(exec, limit, footprint);
                    String result = t[2] == 1 ? "interrupted" : "other";
                    if (t[2] != 1) {
                        wrong++;
                    }
                    over[done] = t[0] - limit;
                    if (t[0] <= limit) {
                        early++;
                    }
                    raw.println(Support.csv(jdk, kind, interval, limit, done, t[0], t[0] - limit,
                            t[1], result));
                    done++;
                }
                raw.flush();
                long[] o = Arrays.copyOf(over, done);
                Arrays.sort(o);
                System.out.printf("  limit %5d MiB: %4d trials in %.0f s; at or below the limit: %d; "
                                + "not interrupted: %d; overshoot/S min %.2f p50 %.2f p99 %.2f max %.2f%n",
                        limit >> 20, done, (System.nanoTime() - t0) / 1e9, early, wrong,
                        o[0] / (double) interval, o[done / 2] / (double) interval,
                        o[(int) Math.min(done - 1, Math.ceil(done * 0.99) - 1)] / (double) interval,
                        o[done - 1] / (double) interval);
            }
        }
        exec.shutdown();
        exec.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** @return {counted bytes, thread allocated-bytes difference or -1, 1 if Interrupted(ALLOCATIONS)} */
    private static long[] trial(ExecutorService exec, long limit, long footprint) throws Exception {
        Future<long[]> f = exec.submit(() -> {
            Counter c = new Counter(footprint);
            Task<Long, RuntimeException> task = c::run;
            long before = THREADS.getCurrentThreadAllocatedBytes();
            Result<Allocated<Long>> r = MemprofLimits.limitAllocations(limit, task);
            long after = THREADS.getCurrentThreadAllocatedBytes();
            boolean ok = r instanceof Result.Interrupted<?> i && i.limit() == Limit.ALLOCATIONS;
            return new long[] {c.bytes, before < 0 ? -1 : after - before, ok ? 1 : 0};
        });
        return f.get(120, TimeUnit.SECONDS);
    }

    /**
     * The count the library reports for a task that returns ({@code Allocated.bytes}) against
     * the task's own count: exact on platform threads, an estimate on virtual ones.
     */
    private static void exactness(ExecutorService exec, long footprint, Path out, String kind,
            long interval) throws Exception {
        int trials = 200;
        int chunks = 4096;                      // 4 MiB per task
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int k = 0; k < trials; k++) {
            long[] r = exec.submit(() -> {
                Counter c = new Counter(footprint);
                Task<Object, RuntimeException> task = () -> c.runFor(chunks);
                Result<Allocated<Object>> res = MemprofLimits.limitAllocations(1L << 40, task);
                return new long[] {res.orElseThrow().bytes(), c.bytes};
            }).get(60, TimeUnit.SECONDS);
            min = Math.min(min, r[0] - r[1]);
            max = Math.max(max, r[0] - r[1]);
        }
        System.out.printf("  Allocated.bytes() - task's own count, %d tasks of %d bytes: min %d, "
                + "max %d%n", trials, chunks * footprint, min, max);
        Support.appendLine(out.resolve("exactness.csv"),
                "jdk,threads,interval,trials,task_bytes,min_diff,max_diff\n",
                Support.csv(Runtime.version().feature(), kind, interval, trials,
                        chunks * footprint, min, max));
    }

    /** The footprint of one chunk, measured on this (platform) thread. */
    private static long calibrate() {
        Object[] keep = new Object[1000];
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int k = 0; k < keep.length; k++) {
                keep[k] = new byte[CHUNK_LENGTH];
            }
            long after = THREADS.getCurrentThreadAllocatedBytes();
            best = Math.min(best, (after - before) / keep.length);
        }
        Counter.sink = keep;
        return best;
    }
}
