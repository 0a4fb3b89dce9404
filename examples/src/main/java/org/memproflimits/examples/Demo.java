package org.memproflimits.examples;

import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.memproflimits.Allocated;
import org.memproflimits.InterruptibleCharSequence;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Token;

/**
 * Four runaway tasks, each stopped inside its own thread, in a JVM that carries on afterwards.
 * Run it with {@code ./run-demo.sh} (it starts the JVM with a 256 MiB heap).
 */
public final class Demo {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static volatile long sink;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        System.out.printf("memprof-limits demo on JDK %s, heap max %d MiB, sampling interval %d KiB%n%n",
                Runtime.version(), Runtime.getRuntime().maxMemory() >> 20,
                MemprofLimits.samplingInterval() >> 10);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            allocationBomb(pool);
            tokenFromAnotherThread(pool);
            runawayRegex(pool);
            heapBomb(pool);
        } finally {
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** 1. A loop that would allocate forever, under a 64 MiB allocation limit. */
    private static void allocationBomb(ExecutorService pool) throws Exception {
        System.out.println("1. Allocation bomb under limitAllocations(64 MiB)");
        long limit = 64L << 20;
        Future<String> f = pool.submit(() -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            Result<Allocated<Void>> r = MemprofLimits.limitAllocations(limit, () -> {
                List<String> words = new ArrayList<>();
                for (long i = 0; ; i++) {                       // never returns by itself
                    words.add("word-" + i);
                    if (words.size() > 10_000) {
                        words.clear();
                    }
                }
            });
            long used = THREADS.getCurrentThreadAllocatedBytes() - before;
            return describe(r) + String.format(" after allocating %.1f MiB (limit %d MiB)",
                    used / 1048576.0, limit >> 20);
        });
        System.out.println("   " + f.get());
        System.out.println("   the same pool thread runs the next task: " + healthy(pool));
        System.out.println();
    }

    /** 2. CPU-bound work with no end in sight, cancelled by a token set 100 ms later. */
    private static void tokenFromAnotherThread(ExecutorService pool) throws Exception {
        System.out.println("2. CPU-bound loop under limitWithToken, token set by another thread after 100 ms");
        Token token = new Token();
        Future<String> f = pool.submit(() -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            // A search with no end in sight: big-number arithmetic allocates as it goes. (A loop
            // that allocates nothing - after the JIT's escape analysis - is not interruptible.)
            Result<BigInteger> r = MemprofLimits.limitWithToken(token, () -> {
                BigInteger x = BigInteger.ONE;
                BigInteger modulus = BigInteger.ONE.shiftLeft(4096).subtract(BigInteger.ONE);
                for (long i = 1; ; i++) {
                    x = x.multiply(BigInteger.valueOf(i)).mod(modulus);
                }
            });
            double ms = (System.nanoTime() - start) / 1e6;
            long used = THREADS.getCurrentThreadAllocatedBytes() - before;
            return describe(r) + String.format(" after %.0f ms, %.1f MiB allocated", ms, used / 1048576.0);
        });
        setAfter100ms(token, f, "task", pool);
    }

    /**
     * 3. A catastrophic regular expression: java.util.regex allocates nothing while it
     * backtracks, so the match runs over a view that checks the limits every 4096 characters.
     */
    private static void runawayRegex(ExecutorService pool) throws Exception {
        System.out.println("3. ((a+)+)+b against 40 a's (hours of backtracking, no allocation) under limitWithToken,"
                + " token set after 100 ms");
        Token token = new Token();
        Pattern pattern = Pattern.compile("((a+)+)+b");
        String input = "a".repeat(40);
        Future<String> f = pool.submit(() -> {
            long start = System.nanoTime();
            Result<Boolean> r = MemprofLimits.limitWithToken(token,
                    () -> pattern.matcher(InterruptibleCharSequence.of(input)).matches());
            return describe(r) + String.format(" after %.0f ms", (System.nanoTime() - start) / 1e6);
        });
        setAfter100ms(token, f, "match", pool);
    }

    /** Sets the token 100 ms from now, prints the task's outcome and how soon it stopped. */
    private static void setAfter100ms(Token token, Future<String> f, String what, ExecutorService pool)
            throws Exception {
        TimeUnit.MILLISECONDS.sleep(100);
        long set = System.nanoTime();
        token.set();
        String line = f.get();
        System.out.printf("   %s%n   (the %s stopped %.2f ms after the token was set)%n", line, what,
                (System.nanoTime() - set) / 1e6);
        System.out.println("   the same pool thread runs the next task: " + healthy(pool));
        System.out.println();
    }

    /**
     * 4. Two threads retaining memory as fast as they can, under a global limit of 60% of the heap.
     * (64 KiB arrays: below every collector's humongous size in this heap. A larger array takes
     * whole regions - on G1 a 1 MiB array in a small heap takes two 1 MiB regions, which the limit
     * counts, since the heap's use does; Shenandoah's use does not count them, and a heap of
     * 256 KiB arrays there fills at half its use: see MemprofLimits.limitGlobalMemory.)
     */
    private static void heapBomb(ExecutorService pool) throws Exception {
        long max = Runtime.getRuntime().maxMemory();
        long limit = max * 6 / 10;
        MemprofLimits.setGlobalMemoryLimit(limit);
        System.out.printf("4. Heap bomb: 2 threads retaining 64 KiB arrays, global memory limit %d MiB of %d MiB%n",
                limit >> 20, max >> 20);
        List<Future<String>> bombs = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            bombs.add(pool.submit(() -> {
                List<byte[]> kept = new ArrayList<>();
                Result<Integer> r = MemprofLimits.limitGlobalMemory(() -> {
                    while (true) {
                        kept.add(new byte[64 << 10]);
                    }
                });
                int mib = kept.size() / 16;
                kept.clear();
                return describe(r) + " holding " + mib + " MiB";
            }));
        }
        for (Future<String> b : bombs) {
            System.out.println("   " + b.get());
        }
        System.gc();        // the interrupted tasks' data is garbage now; collect it
        Result<String> after = MemprofLimits.limitGlobalMemory(() -> {
            List<byte[]> kept = new ArrayList<>();
            for (int i = 0; i < max / 5 >> 16; i++) {
                kept.add(new byte[64 << 10]);
            }
            return kept.size() / 16 + " MiB retained";
        });
        System.out.println("   afterwards, a task retaining 20% of the heap: " + describe(after)
                + "; no OutOfMemoryError, heap in use now "
                + (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory() >> 20) + " MiB");
        MemprofLimits.setGlobalMemoryLimit(-1);
    }

    private static String healthy(ExecutorService pool) throws Exception {
        return pool.submit(() -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                sb.append(i);
            }
            return "ok (built a " + sb.length() + "-char string, interrupt flag "
                    + Thread.currentThread().isInterrupted() + ")";
        }).get();
    }

    private static String describe(Result<?> r) {
        if (r instanceof Result.Interrupted<?> i) {
            return "STOPPED by " + i.limit() + " (" + i.exception().getMessage() + ")";
        }
        return "completed: " + ((Result.Ok<?>) r).value();
    }

    static long sink() {
        return sink;
    }
}
