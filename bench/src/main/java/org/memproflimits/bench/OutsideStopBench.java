package org.memproflimits.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;

/**
 * How fast the outside stop ends code that never allocates: a token set from another thread
 * after a random 2-20 ms while the runaway spins, and the time from {@code set()} to the limit
 * function returning {@code Interrupted} (wall clock); and {@code limitTime}'s precision, from
 * the deadline to the return. Runaways: an empty {@code while (true)}, a counted {@code int}
 * loop, a {@code long} counter, and a catastrophic regular expression over a plain
 * {@code String}. Platform threads, and virtual threads on JDK 21+. Prints a table;
 * {@code scripts/outside-stop-bench.sh} runs it on JDK 17 and 25 and on each collector.
 */
public final class OutsideStopBench {
    static volatile long sink;

    private OutsideStopBench() {
    }

    public static void main(String[] argv) throws Exception {
        Support.Args args = new Support.Args(argv);
        int trials = (int) args.getLong("trials", 200);
        args.done();
        MemprofLimits.start();
        System.out.printf("JDK %d, %s, %d trials each; token set -> Interrupted, and limitTime's deadline -> return%n",
                Runtime.version().feature(), Support.gcShortName(), trials);
        boolean virtual = Runtime.version().feature() >= 21;
        for (String kind : virtual ? new String[] {"platform", "virtual"} : new String[] {"platform"}) {
            row(kind, "while (true) {}", trials, OutsideStopBench::empty);
            row(kind, "int counted loop", trials, OutsideStopBench::intLoop);
            row(kind, "long counter", trials, OutsideStopBench::longCounter);
            row(kind, "(a|a){1,1000}b over a String", trials, OutsideStopBench::regex);
        }
    }

    private static Boolean empty() {
        while (true) { }
    }

    private static Boolean intLoop() {
        int x = 0;
        while (true) {
            for (int i = 0; i < 100_000_000; i++) {
                x += i;
            }
            sink = x;
        }
    }

    private static Boolean longCounter() {
        long x = 0;
        while (true) {
            x++;
            if (x == -1) {
                sink = x;
            }
        }
    }

    private static Boolean regex() {
        return "a".repeat(40).matches("(a|a){1,1000}b");
    }

    private static void row(String kind, String name, int trials, Task<Boolean, RuntimeException> runaway)
            throws Exception {
        long[] token = inThread(kind, () -> tokenLatency(trials, runaway));
        long[] time = inThread(kind, () -> timeLatency(trials, runaway));
        System.out.printf("  %-8s %-30s token: p50 %7.2f ms, p99 %7.2f ms, max %7.2f ms (%d/%d) | limitTime: p50 %7.2f ms, p99 %7.2f ms, max %7.2f ms (%d/%d)%n",
                kind, name, p(token, 0.5), p(token, 0.99), p(token, 1.0), token[trials], trials,
                p(time, 0.5), p(time, 0.99), p(time, 1.0), time[trials], trials);
    }

    /** Sorted latencies in ns, then (last) the number of Interrupted results. */
    private static long[] tokenLatency(int trials, Task<Boolean, RuntimeException> runaway) throws Exception {
        return Support.tokenLatencies(trials, runaway);
    }

    private static long[] timeLatency(int trials, Task<Boolean, RuntimeException> runaway) {
        Random random = new Random(43);
        long[] ns = new long[trials + 1];
        for (int t = 0; t < trials; t++) {
            long limit = (2 + random.nextInt(19)) * 1_000_000L;
            long start = System.nanoTime();
            Result<Boolean> r = MemprofLimits.limitTime(Duration.ofNanos(limit), runaway);
            ns[t] = System.nanoTime() - (start + limit);
            ns[trials] += r instanceof Result.Interrupted<Boolean> ? 1 : 0;
        }
        Arrays.sort(ns, 0, trials);
        return ns;
    }

    private static double p(long[] sortedWithCount, double q) {
        int n = sortedWithCount.length - 1;
        int i = Math.min(n - 1, Math.max(0, (int) Math.ceil(q * n) - 1));
        return sortedWithCount[i] / 1e6;
    }

    private static <T> T inThread(String kind, Callable<T> body) throws Exception {
        AtomicReference<T> value = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Runnable run = () -> {
            try {
                value.set(body.call());
            } catch (Exception e) {
                failure.set(e);
            }
        };
        Thread t = kind.equals("virtual")
                ? (Thread) Thread.class.getMethod("startVirtualThread", Runnable.class).invoke(null, run)
                : new Thread(run, "outside-stop-bench");
        if (!kind.equals("virtual")) {
            t.start();
        }
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return value.get();
    }
}
