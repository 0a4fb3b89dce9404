package org.memproflimits.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.memproflimits.InterruptibleCharSequence;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;
import org.memproflimits.Token;

/**
 * What {@link InterruptibleCharSequence} costs a regular expression, and how fast it stops a
 * runaway one - code that allocates nothing, which samples alone never stop.
 *
 * <p>Cost: CPU time of matching over the {@code String} itself vs over the view, alternated
 * in one JVM (rounds of each, medians), for a backtracking pattern ({@code ((a+)+)+b} over
 * 20 {@code a}s) and a scanning one (an e-mail-like {@code find} over 1 MiB of text), the view
 * both outside any task and inside a task with all three limits armed, none reached.
 * Latency: a token set from another thread after a random 2-20 ms while a runaway match
 * runs; the time from {@code set()} to the limit function returning {@code Interrupted}; the
 * same for a shallow loop that calls {@link MemprofLimits#checkpoint()} itself, for the part
 * of the latency that the match's deep stack adds. Also: what the runaway pattern costs over
 * the {@code String} itself, with no limit (time, bytes allocated).
 * Prints a small table; {@code scripts/checkpoint-bench.sh} runs it on JDK 17 and 25.
 */
public final class CheckpointBench {
    private static final Pattern BACKTRACKING = Pattern.compile("((a+)+)+b");
    private static final String BACKTRACKING_INPUT = "a".repeat(20);
    private static final Pattern SCAN = Pattern.compile("\\b[a-z]+@[a-z]+\\.com\\b");
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static volatile Object sink;

    private CheckpointBench() {
    }

    public static void main(String[] argv) throws Exception {
        Support.Args args = new Support.Args(argv);
        int rounds = (int) args.getLong("rounds", 15);
        int trials = (int) args.getLong("trials", 200);
        args.done();
        MemprofLimits.start();
        MemprofLimits.setGlobalMemoryLimit(Runtime.getRuntime().maxMemory() / 4 * 3);
        String text = scanText();
        System.out.printf("JDK %d, sampling interval %d KiB, %d rounds, %d latency trials%n",
                Runtime.version().feature(), MemprofLimits.samplingInterval() / 1024, rounds, trials);
        cost("backtracking ((a+)+)+b, 20 a's", rounds, view -> BACKTRACKING.matcher(
                view ? InterruptibleCharSequence.of(BACKTRACKING_INPUT) : BACKTRACKING_INPUT).matches());
        cost("scan: find e-mail-like words in 1 MiB", rounds, view -> {
            var m = SCAN.matcher(view ? InterruptibleCharSequence.of(text) : text);
            int n = 0;
            while (m.find()) {
                n++;
            }
            return n;
        });
        plainRunaway();
        latency(trials, "runaway ((a+)+)+b over 40 a's", () -> BACKTRACKING.matcher(
                InterruptibleCharSequence.of("a".repeat(40))).matches());
        latency(trials, "shallow loop, checkpoint every 4096 iterations", CheckpointBench::spin);
    }

    /** Why the view exists: the match over the String itself, timed and its allocation counted. */
    private static void plainRunaway() {
        String input = "a".repeat(24);
        BACKTRACKING.matcher("a".repeat(16)).matches();            // warm
        long bytes = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        boolean matched = BACKTRACKING.matcher(input).matches();
        long ns = System.nanoTime() - start;
        bytes = THREADS.getCurrentThreadAllocatedBytes() - bytes;
        System.out.printf("  ((a+)+)+b over 24 a's, String, no limit: %b after %.2f s, %d bytes allocated%n",
                matched, ns / 1e9, bytes);
    }

    /** Arithmetic that allocates nothing, with a checkpoint every 4096 iterations. */
    private static Boolean spin() {
        long x = 0;
        for (long i = 0; ; i++) {
            x = x * 31 + i;
            if ((i & 4095) == 0) {
                MemprofLimits.checkpoint();
                sinkLong = x;
            }
        }
    }

    static volatile long sinkLong;

    interface Work {
        Object run(boolean view);
    }

    private static void cost(String name, int rounds, Work work) {
        for (int w = 0; w < 3; w++) {
            sink = work.run(false);
            sink = work.run(true);
            sink = limited(work);
        }
        long[] plain = new long[rounds];
        long[] view = new long[rounds];
        long[] limited = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = THREADS.getCurrentThreadCpuTime();
            sink = work.run(false);
            long t1 = THREADS.getCurrentThreadCpuTime();
            sink = work.run(true);
            long t2 = THREADS.getCurrentThreadCpuTime();
            sink = limited(work);
            long t3 = THREADS.getCurrentThreadCpuTime();
            plain[r] = t1 - t0;
            view[r] = t2 - t1;
            limited[r] = t3 - t2;
        }
        double p = median(plain);
        System.out.printf("  %-40s String %8.2f ms | view %.3fx | view under 3 limits %.3fx%n",
                name, p / 1e6, median(view) / p, median(limited) / p);
    }

    private static Object limited(Work work) {
        Token token = new Token();
        Result<Result<Object>> r = MemprofLimits.limitWithToken(token,
                () -> MemprofLimits.limitGlobalMemory(
                        () -> MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT,
                                () -> work.run(true)).orElseThrow().value()));
        return r.orElseThrow().orElseThrow();
    }

    private static void latency(int trials, String name, Task<Boolean, RuntimeException> runaway)
            throws InterruptedException {
        long[] ns = Support.tokenLatencies(trials, runaway);
        System.out.printf("  %s, token set after 2-20 ms: %d/%d interrupted;"
                        + " set -> Interrupted p50 %.1f us, p99 %.1f us, max %.1f us%n",
                name, ns[trials], trials, ns[trials / 2] / 1e3, ns[(int) Math.ceil(trials * 0.99) - 1] / 1e3,
                ns[trials - 1] / 1e3);
    }

    private static double median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** 1 MiB of lower-case words, one in 50 an e-mail-like one. */
    private static String scanText() {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder(1 << 20);
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            StringBuilder w = new StringBuilder();
            for (int j = 0, n = 3 + random.nextInt(8); j < n; j++) {
                w.append((char) ('a' + random.nextInt(26)));
            }
            words.add(w.toString());
        }
        while (sb.length() < (1 << 20)) {
            String w = words.get(random.nextInt(words.size()));
            sb.append(random.nextInt(50) == 0 ? w + "@" + w + ".com" : w).append(' ');
        }
        return sb.toString();
    }
}
