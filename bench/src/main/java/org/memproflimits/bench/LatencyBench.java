package org.memproflimits.bench;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Token;

/**
 * Interrupt latency: a monitor thread sets a {@link Token}; how long until it holds the task's
 * {@code Interrupted} result? The task is {@link Runaway} code at a fixed allocation rate, from
 * 10 MB/s to as fast as one thread can allocate, on a platform thread. Latency is measured
 * twice: until the limit function returns in the task's thread ("task"), and until the monitor,
 * blocked in {@code Future.get}, holds the result ("monitor"). On a shared machine both include
 * the time the task's thread waits for a CPU; so the task's own CPU time from the token's set to
 * its return is recorded too, with the bytes it allocated in that time.
 *
 * <p>Side by side, on the same runaway code: {@code Future.cancel(true)}, and a watchdog thread
 * that polls the task's CPU time and allocated bytes through {@code ThreadMXBean} every 10 ms and
 * calls {@code Thread.interrupt()} when a budget is exhausted (the approach of
 * delight-nashorn-sandbox's ThreadMonitor, without its {@code Thread.stop} fallback, which JDK 20
 * removed). The runaway ignores interrupts, like real runaway code: the program checks that it is
 * still running one second later, then stops it with a token so that the JVM can exit.
 *
 * <p>Arguments ({@code --key=value}): out (results directory), rates (bytes/s, comma separated, 0 =
 * unthrottled), trials (per rate), rate-budget-s (time cap per rate), warmup (trials),
 * compare-rates, compare-trials. The sampling interval is the library's
 * ({@code -Dorg.memproflimits.samplingInterval}).
 */
public final class LatencyBench {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private LatencyBench() {
    }

    public static void main(String[] argv) throws Exception {
        Support.Args args = new Support.Args(argv);
        Path out = Path.of(args.get("out", "bench/results"));
        List<Long> rates = args.getSizes("rates", "1e7,3.16e7,1e8,3.16e8,1e9,2e9,0");
        int trials = (int) args.getLong("trials", 1000);
        double budget = args.getDouble("rate-budget-s", 20);
        int warmup = (int) args.getLong("warmup", 300);
        List<Long> compareRates = args.getSizes("compare-rates", "1e7,1e9");
        int compareTrials = (int) args.getLong("compare-trials", 2);
        args.done();

        MemprofLimits.start();
        long interval = MemprofLimits.samplingInterval();
        int jdk = Runtime.version().feature();
        Support.recordRun(out, "latency", "interval=" + interval);
        System.out.printf("latency: JDK %s, %s, interval %d bytes%n", Support.jdk(),
                Support.gcNames(), interval);

        ExecutorService worker = Support.platformThreads(1, "runaway");
        SplittableRandom rnd = new SplittableRandom(1);

        // Warm-up: compile the runaway loop, the limit functions and the sample path.
        for (int k = 0; k < warmup; k++) {
            tokenTrial(worker, k % 3 == 0 ? 1e8 : 0, rnd);
        }

        try (PrintWriter summary = Support.csvWriter(out.resolve("latency.csv"),
                "jdk,interval,rate_target,rate_actual,rate_running,trials,failures,p50_us,p90_us,"
                        + "p99_us,p999_us,max_us,mean_us,task_p50_us,task_p99_us,task_max_us,"
                        + "cpu_p50_us,cpu_p90_us,cpu_p99_us,cpu_max_us,after_p50_kib,"
                        + "after_p99_kib");
             PrintWriter raw = Support.csvWriter(out.resolve("latency-raw.csv"),
                     "jdk,interval,rate_target,trial,monitor_ns,task_ns,task_cpu_ns,bytes_after,"
                             + "rate_actual")) {
            for (long rate : rates) {
                Histogram monitor = new Histogram(3_600_000_000_000L, 3);
                Histogram task = new Histogram(3_600_000_000_000L, 3);
                Histogram cpu = new Histogram(3_600_000_000_000L, 3);
                Histogram after = new Histogram(1L << 40, 3);
                long t0 = System.nanoTime();
                double bytes = 0;
                double seconds = 0;
                double cpuSeconds = 0;
                int done = 0;
                int failures = 0;
                while (done < trials && (System.nanoTime() - t0) / 1e9 < budget) {
                    TokenTrial t = tokenTrial(worker, rate, rnd);
                    if (!t.ok) {
                        failures++;
                    }
                    monitor.recordValue(t.monitorNs);
                    task.recordValue(Math.max(0, t.taskNs));
                    cpu.recordValue(Math.max(0, t.cpuNs));
                    after.recordValue(Math.max(0, t.bytesAfter));
                    bytes += t.bytes;
                    seconds += t.seconds;
                    cpuSeconds += t.cpuSeconds;
                    raw.println(Support.csv(jdk, interval, rate, done, t.monitorNs, t.taskNs,
                            t.cpuNs, t.bytesAfter, Math.round(t.bytes / t.seconds)));
                    done++;
                }
                double actual = bytes / seconds;
                summary.println(Support.csv(jdk, interval, rate, Math.round(actual),
                        Math.round(bytes / cpuSeconds), done, failures,
                        us(monitor.getValueAtPercentile(50)), us(monitor.getValueAtPercentile(90)),
                        us(monitor.getValueAtPercentile(99)), us(monitor.getValueAtPercentile(99.9)),
                        us(monitor.getMaxValue()), us(monitor.getMean()),
                        us(task.getValueAtPercentile(50)), us(task.getValueAtPercentile(99)),
                        us(task.getMaxValue()),
                        us(cpu.getValueAtPercentile(50)), us(cpu.getValueAtPercentile(90)),
                        us(cpu.getValueAtPercentile(99)), us(cpu.getMaxValue()),
                        after.getValueAtPercentile(50) >> 10, after.getValueAtPercentile(99) >> 10));
                summary.flush();
                raw.flush();
                System.out.printf("  rate %6.0f MB/s (target %s, %.0f MB/s while running): %5d "
                                + "trials, %d failures; monitor p50 %8.1f us p99 %8.1f us max "
                                + "%8.1f us; task CPU p50 %8.1f us p99 %8.1f us%n",
                        actual / 1e6, rate == 0 ? "max" : (rate / 1e6) + " MB/s",
                        bytes / cpuSeconds / 1e6, done, failures,
                        monitor.getValueAtPercentile(50) / 1e3,
                        monitor.getValueAtPercentile(99) / 1e3, monitor.getMaxValue() / 1e3,
                        cpu.getValueAtPercentile(50) / 1e3, cpu.getValueAtPercentile(99) / 1e3);
            }
        }

        try (PrintWriter cmp = Support.csvWriter(out.resolve("compare.csv"),
                "jdk,interval,method,rate_target,trial,ack_us,still_running_after_1s,"
                        + "mb_allocated_in_1s_after,cpu_ms_in_1s_after,token_stop_us")) {
            for (long rate : compareRates) {
                for (int k = 0; k < compareTrials; k++) {
                    cmp.println(Support.csv(jdk, interval, "future-cancel", rate, k,
                            cancelTrial(worker, rate)));
                    cmp.println(Support.csv(jdk, interval, "mxbean-watchdog", rate, k,
                            watchdogTrial(worker, rate)));
                    cmp.flush();
                }
            }
        }
        worker.shutdown();
        if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("worker did not terminate");
        }
    }

    private static double us(double ns) {
        return Math.round(ns / 100.0) / 10.0;
    }

    /**
     * One trial: monitor and task wall-clock latencies; the task's CPU time from the token's set
     * to its return (immune to preemption by other processes) and the bytes it allocated in
     * that time; its bytes, wall and CPU seconds from start to interrupt (its rates).
     */
    private record TokenTrial(boolean ok, long monitorNs, long taskNs, long cpuNs,
                              long bytesAfter, double bytes, double seconds, double cpuSeconds) {
    }

    /** One token trial: start the runaway under a token, let it run, set the token, time it. */
    private static TokenTrial tokenTrial(ExecutorService worker, double rate, SplittableRandom rnd)
            throws Exception {
        Token token = new Token();
        Runaway runaway = new Runaway(rate);
        Future<Object[]> f = worker.submit(() -> {
            Result<Long> r = MemprofLimits.limitWithToken(token, runaway::run);
            long end = System.nanoTime();
            long cpuEnd = THREADS.getCurrentThreadCpuTime();
            return new Object[] {r, end, cpuEnd};
        });
        runaway.awaitRunning();
        LockSupport.parkNanos(1_000_000 + rnd.nextLong(2_000_000));   // 1-3 ms of running
        long bytes0 = runaway.allocated;
        long cpu0 = THREADS.getThreadCpuTime(runaway.thread.getId());
        long t0 = System.nanoTime();
        token.set();
        Object[] res;
        try {
            res = f.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the token did not stop the runaway within 60 s at "
                    + rate + " B/s: library failure", e);
        }
        long t1 = System.nanoTime();
        boolean ok = res[0] instanceof Result.Interrupted<?> i && i.limit() == Limit.TOKEN;
        if (!ok) {
            System.out.println("  unexpected result: " + res[0]);
        }
        long end = (Long) res[1];
        long cpuEnd = (Long) res[2];
        // Rates over the whole trial, from the runaway's start to its interrupt.
        return new TokenTrial(ok, t1 - t0, end - t0, cpuEnd - cpu0, runaway.allocated - bytes0,
                runaway.allocated, (end - runaway.startedAt) / 1e9,
                (cpuEnd - runaway.startedCpu) / 1e9);
    }

    /**
     * Future.cancel(true) on the runaway (run inside a token scope that is only used to stop it
     * afterwards). Returns the CSV tail: ack, still running after 1 s, MB and CPU ms in that
     * second, time for the token to stop it.
     */
    private static Object[] cancelTrial(ExecutorService worker, double rate) throws Exception {
        Token cleanup = new Token();
        Runaway runaway = new Runaway(rate);
        CountDownLatch finished = new CountDownLatch(1);
        Future<?> f = worker.submit(() -> {
            try {
                return MemprofLimits.limitWithToken(cleanup, runaway::run);
            } finally {
                Thread.interrupted();           // leave the pooled thread clean
                finished.countDown();
            }
        });
        runaway.awaitRunning();
        Thread.sleep(50);
        long t0 = System.nanoTime();
        boolean cancelled = f.cancel(true);
        long ack = System.nanoTime() - t0;      // the caller now believes the task is over
        boolean doneAsSeen = f.isDone();
        return observeThenStop(runaway, cleanup, finished, ack,
                "cancel=" + cancelled + " isDone=" + doneAsSeen);
    }

    /**
     * A ThreadMXBean watchdog in the manner of delight-nashorn-sandbox: polls the task thread's
     * CPU time and allocated bytes every 10 ms, interrupts it once a budget is exhausted. The
     * budget is exhausted at t0 (the CPU budget is lowered to what the task has used), so the ack
     * is the time until interrupt() is called.
     */
    private static Object[] watchdogTrial(ExecutorService worker, double rate) throws Exception {
        Token cleanup = new Token();
        Runaway runaway = new Runaway(rate);
        CountDownLatch finished = new CountDownLatch(1);
        worker.submit(() -> {
            try {
                return MemprofLimits.limitWithToken(cleanup, runaway::run);
            } finally {
                Thread.interrupted();
                finished.countDown();
            }
        });
        runaway.awaitRunning();
        Watchdog dog = new Watchdog(runaway.thread, Long.MAX_VALUE, Long.MAX_VALUE);
        dog.start();
        Thread.sleep(50 + ThreadLocalRandom.current().nextInt(10));   // any phase of its polling
        long t0 = System.nanoTime();
        dog.maxCpuNs = 0;                       // budget exhausted now
        dog.fired.await(10, TimeUnit.SECONDS);
        long ack = dog.firedAt - t0;
        dog.interrupt();
        dog.join();
        return observeThenStop(runaway, cleanup, finished, ack, "interrupted=" + (dog.firedAt != 0));
    }

    private static Object[] observeThenStop(Runaway runaway, Token cleanup, CountDownLatch finished,
            long ackNs, String note) throws Exception {
        long b0 = runaway.allocated;
        long cpu0 = THREADS.getThreadCpuTime(runaway.thread.getId());
        Thread.sleep(1000);
        long b1 = runaway.allocated;
        long cpu1 = THREADS.getThreadCpuTime(runaway.thread.getId());
        boolean running = b1 > b0 && finished.getCount() == 1;
        long t0 = System.nanoTime();
        cleanup.set();
        if (!finished.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the cleanup token did not stop the runaway");
        }
        long stop = System.nanoTime() - t0;
        System.out.printf("  %s: ack %.1f us, still running after 1 s: %s (%.0f MB, %.0f ms CPU); "
                        + "token stopped it in %.1f us%n", note, ackNs / 1e3, running,
                (b1 - b0) / 1e6, (cpu1 - cpu0) / 1e6, stop / 1e3);
        return new Object[] {us(ackNs), running, Math.round((b1 - b0) / 1e6),
                Math.round((cpu1 - cpu0) / 1e6), us(stop)};
    }

    /** The polling watchdog: the whole of the approach is here. */
    private static final class Watchdog extends Thread {
        private final Thread target;
        volatile long maxCpuNs;
        private final long maxBytes;
        final CountDownLatch fired = new CountDownLatch(1);
        volatile long firedAt;

        Watchdog(Thread target, long maxCpuNs, long maxBytes) {
            super("watchdog");
            setDaemon(true);
            this.target = target;
            this.maxCpuNs = maxCpuNs;
            this.maxBytes = maxBytes;
        }

        @Override
        public void run() {
            long cpuStart = THREADS.getThreadCpuTime(target.getId());
            long bytesStart = THREADS.getThreadAllocatedBytes(target.getId());
            while (!isInterrupted()) {
                long cpu = THREADS.getThreadCpuTime(target.getId()) - cpuStart;
                long bytes = THREADS.getThreadAllocatedBytes(target.getId()) - bytesStart;
                if (cpu > maxCpuNs || bytes > maxBytes) {
                    target.interrupt();
                    firedAt = System.nanoTime();
                    fired.countDown();
                    return;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
