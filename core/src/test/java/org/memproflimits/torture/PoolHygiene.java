package org.memproflimits.torture;

import java.lang.management.ManagementFactory;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Token;
import org.memproflimits.torture.Violations.Kind;

/**
 * Pooled-thread hygiene: very many short tasks on a fixed pool of long-lived threads, under
 * tokens set at random times by another thread (before, during and after the task), pre-set
 * tokens, never-set tokens, small allocation limits, nested and masked limits, and no limit at
 * all. What must hold:
 * <ul>
 *   <li>no stale interrupt: a task whose token is not set (or that has no token) is never
 *       Interrupted, and never sees an {@code InterruptedException};</li>
 *   <li>no stale interrupt status: {@code Thread.currentThread().isInterrupted()} is false when
 *       each task starts and after each limit function returns - even though a token of an
 *       earlier task of the same thread may be set at that very moment;</li>
 *   <li>Interrupted(TOKEN) only with the token set, Interrupted(ALLOCATIONS) only past the limit,
 *       a pre-set token's task never runs, masked code never sees a wake-up.</li>
 * </ul>
 * The pool is a set of plain threads taking task numbers from a counter, not a
 * {@code ThreadPoolExecutor}, which clears the interrupt status before each task and would hide
 * a stale one. System properties: {@code hygiene.tasks} (default 300000: the CI size), {@code hygiene.threads}
 * (default 4), {@code hygiene.seed}, {@code hygiene.samplingInterval} (default 65536).
 */
public final class PoolHygiene {

    /** The run's parameters. */
    public static final class Config {
        public long tasks = Long.getLong("hygiene.tasks", 300_000);
        public int threads = Integer.getInteger("hygiene.threads", 4);
        public long seed = Long.getLong("hygiene.seed", System.nanoTime());
        public long samplingInterval = Long.getLong("hygiene.samplingInterval", 64 * 1024);

        @Override
        public String toString() {
            return "tasks=" + tasks + " threads=" + threads + " seed=" + seed
                    + " samplingInterval=" + samplingInterval;
        }
    }

    enum Mode {
        /** limitWithToken; the setter sets the token at a random time, often after the task. */
        TOKEN,
        /** limitWithToken with a token set before the call. */
        PRESET,
        /** limitWithToken with a token nobody sets. */
        NEVER_SET,
        /** limitAllocations with a small random limit. */
        ALLOCATIONS,
        /** limitWithToken (set at random) around limitAllocations. */
        NESTED,
        /** limitWithToken (set at random) around Masking.mask. */
        MASKED,
        /** No limit. */
        PLAIN
    }

    static final int MODES = Mode.values().length;

    /** A token the setter sets at a given time; {@code done} once its task has returned. */
    static final class Armed {
        final Token token;
        final long at;
        volatile boolean done;

        Armed(Token token, long at) {
            this.token = token;
            this.at = at;
        }
    }

    /** The figures of a run. */
    public static final class Report {
        public long tasks;
        public final long[] byMode = new long[MODES];
        public final long[] interruptedByMode = new long[MODES];
        public long tokensSet;
        public long tokensSetAfterTheirTask;
        public long staleFlagsAtStart;
        public long flagsAfterLimit;
        public long staleInterrupts;
        public long parks;
        public long violations;
        public String violationReport = "";
        public long millis;
        public String config = "";

        public String figures() {
            StringBuilder b = new StringBuilder();
            b.append("hygiene: ").append(config).append('\n');
            b.append(String.format("hygiene: %-58s %d ms%n", "run time", millis));
            b.append(String.format("hygiene: %-58s %d%n", "tasks", tasks));
            for (Mode m : Mode.values()) {
                b.append(String.format("hygiene:   %-56s %d (Interrupted %d)%n", m, byMode[m.ordinal()],
                        interruptedByMode[m.ordinal()]));
            }
            b.append(String.format("hygiene: %-58s %d%n", "tokens set by the setter thread", tokensSet));
            b.append(String.format("hygiene: %-58s %d%n", "  of which after their task had returned", tokensSetAfterTheirTask));
            b.append(String.format("hygiene: %-58s %d%n", "parks (woken early by a wake-up, or not)", parks));
            b.append(String.format("hygiene: %-58s %d%n", "stale interrupt flags seen at task start", staleFlagsAtStart));
            b.append(String.format("hygiene: %-58s %d%n", "interrupt flags set after the limit returned", flagsAfterLimit));
            b.append(String.format("hygiene: %-58s %d%n", "stale interrupts (Interrupted without a set token)", staleInterrupts));
            b.append(String.format("hygiene: %-58s %d%n", "violations", violations));
            if (violations > 0) {
                b.append(violationReport).append('\n');
            }
            return b.toString();
        }
    }

    private final Config cfg;
    private final Violations violations = new Violations();
    private final ConcurrentLinkedQueue<Armed> armed = new ConcurrentLinkedQueue<>();
    /** The token of the task each pool thread runs (or ran last). */
    private AtomicReferenceArray<Armed> current;
    private final AtomicLong next = new AtomicLong();
    private final AtomicLong tokensSet = new AtomicLong();
    private final AtomicLong setLate = new AtomicLong();
    private volatile boolean stop;
    static volatile Object sink;

    public PoolHygiene(Config cfg) {
        this.cfg = cfg;
    }

    public Report run() throws InterruptedException {
        long t0 = System.nanoTime();
        if (!MemprofLimits.isStarted()) {
            MemprofLimits.setSamplingInterval(cfg.samplingInterval);
        }
        MemprofLimits.start();
        current = new AtomicReferenceArray<>(cfg.threads);
        Thread setter = new Thread(this::setter, "hygiene-setter");
        setter.setDaemon(true);
        setter.start();
        PoolThread[] pool = new PoolThread[cfg.threads];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = new PoolThread(i, new SplittableRandom(cfg.seed * 131 + i));
            pool[i].setDaemon(true);
            pool[i].start();
        }
        for (PoolThread t : pool) {
            t.join();
        }
        stop = true;
        setter.join(60_000);
        Report r = new Report();
        for (PoolThread t : pool) {
            r.tasks += t.tasks;
            r.parks += t.parks;
            for (int m = 0; m < MODES; m++) {
                r.byMode[m] += t.byMode[m];
                r.interruptedByMode[m] += t.interruptedByMode[m];
            }
        }
        r.tokensSet = tokensSet.get();
        r.tokensSetAfterTheirTask = setLate.get();
        r.staleFlagsAtStart = violations.count(Kind.STALE_INTERRUPT_FLAG_AT_TASK_START);
        r.flagsAfterLimit = violations.count(Kind.INTERRUPT_FLAG_AFTER_LIMIT);
        r.staleInterrupts = violations.count(Kind.TOKEN_INTERRUPTED_BUT_NOT_SET)
                + violations.count(Kind.NEVER_SET_TOKEN_INTERRUPTED);
        r.violations = violations.total();
        r.violationReport = violations.report();
        r.config = cfg.toString();
        r.millis = (System.nanoTime() - t0) / 1_000_000;
        return r;
    }

    /**
     * Sets tokens two ways: the token of the task a random pool thread is running now (or has
     * just finished: a late set), and the tokens armed with a deadline, when it passes.
     */
    private void setter() {
        SplittableRandom r = new SplittableRandom(cfg.seed ^ 0xabcdefL);
        while (!stop) {
            Armed cur = current.get(r.nextInt(current.length()));
            if (cur != null && !cur.token.isSet() && r.nextInt(4) != 0) {
                boolean late = cur.done;
                cur.token.set();
                tokensSet.incrementAndGet();
                if (late) {
                    setLate.incrementAndGet();
                }
            }
            long now = System.nanoTime();
            for (Iterator<Armed> it = armed.iterator(); it.hasNext();) {
                Armed a = it.next();
                if (now - a.at >= 0) {
                    boolean late = a.done;
                    a.token.set();
                    it.remove();
                    tokensSet.incrementAndGet();
                    if (late) {
                        setLate.incrementAndGet();
                    }
                }
            }
            int pause = r.nextInt(100);
            if (pause == 0) {
                LockSupport.parkNanos(r.nextLong(1_000, 30_000));
            } else if (pause < 10) {
                Thread.yield();
            } else {
                for (int i = r.nextInt(300); i > 0; i--) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    final class PoolThread extends Thread {
        final SplittableRandom rnd;
        long tasks;
        long parks;
        final long[] byMode = new long[MODES];
        final long[] interruptedByMode = new long[MODES];
        boolean ran;
        boolean underToken;

        final int index;

        PoolThread(int i, SplittableRandom rnd) {
            super("hygiene-pool-" + i);
            this.rnd = rnd;
            this.index = i;
        }

        @Override
        public void run() {
            try {
                while (next.getAndIncrement() < cfg.tasks) {
                    oneTask();
                    tasks++;
                }
            } catch (Throwable t) {
                violations.record(Kind.HARNESS, getName() + " died: " + t, t);
            }
        }

        /**
         * Publishes the task's token to the setter, which sets it when it comes round to this
         * thread, or - one time in three - when a deadline 0-60 us from now passes: before,
         * during or after the task.
         */
        private Armed arm(Token token) {
            Armed a = new Armed(token, System.nanoTime() + rnd.nextLong(0, 60_000));
            if (rnd.nextInt(3) == 0) {
                armed.add(a);
            }
            current.set(index, a);
            return a;
        }

        private void oneTask() {
            if (Thread.interrupted()) {
                violations.record(Kind.STALE_INTERRUPT_FLAG_AT_TASK_START, getName(), null);
            }
            if (Masking.isBlocked() || MemprofLimits.isInterrupted()) {
                violations.record(Kind.STATE_BEFORE_TASK, getName(), null);
            }
            int p = rnd.nextInt(100);
            Mode mode = p < 30 ? Mode.TOKEN : p < 38 ? Mode.PRESET : p < 52 ? Mode.NEVER_SET
                    : p < 72 ? Mode.ALLOCATIONS : p < 82 ? Mode.NESTED : p < 90 ? Mode.MASKED : Mode.PLAIN;
            byMode[mode.ordinal()]++;
            ran = false;
            Token token = null;
            Armed a = null;
            long limit = rnd.nextLong(0, 256 << 10);
            long work = rnd.nextLong(0, 512 << 10);
            Result<?> r = null;
            long before = allocatedBytes();
            try {
                switch (mode) {
                    case TOKEN:
                        token = new Token();
                        a = arm(token);
                        underToken = true;
                        r = MemprofLimits.limitWithToken(token, () -> body(work));
                        break;
                    case PRESET:
                        token = new Token();
                        token.set();
                        r = MemprofLimits.limitWithToken(token, () -> body(work));
                        break;
                    case NEVER_SET:
                        token = new Token();
                        underToken = false;
                        r = MemprofLimits.limitWithToken(token, () -> body(work));
                        break;
                    case ALLOCATIONS:
                        underToken = false;
                        r = MemprofLimits.limitAllocations(limit, () -> body(work));
                        break;
                    case NESTED:
                        token = new Token();
                        a = arm(token);
                        underToken = true;
                        r = MemprofLimits.limitWithToken(token,
                                () -> MemprofLimits.limitAllocations(limit, () -> body(work)));
                        break;
                    case MASKED:
                        token = new Token();
                        a = arm(token);
                        underToken = true;
                        r = MemprofLimits.limitWithToken(token, () -> Masking.mask(() -> {
                            long v = body(work);
                            if (Thread.currentThread().isInterrupted()) {
                                violations.record(Kind.INTERRUPT_SEEN_IN_MASKED_CODE, "hygiene", null);
                            }
                            return v;
                        }));
                        break;
                    default:
                        underToken = false;
                        body(work);
                        break;
                }
            } catch (Throwable t) {
                violations.record(Kind.UNEXPECTED_EXCEPTION_ESCAPED, mode + ": " + t, t);
            }
            long bytes = allocatedBytes() - before;
            if (a != null) {
                a.done = true;
                if (rnd.nextBoolean()) {
                    current.compareAndSet(index, a, null);   // else the setter may set it late
                }
            }
            if (Thread.interrupted()) {
                violations.record(Kind.INTERRUPT_FLAG_AFTER_LIMIT, mode.toString(), null);
            }
            if (r instanceof Result.Interrupted<?> i) {
                interruptedByMode[mode.ordinal()]++;
                Limit expected = mode == Mode.ALLOCATIONS ? Limit.ALLOCATIONS : Limit.TOKEN;
                if (i.limit() != expected) {
                    violations.record(Kind.WRONG_LIMIT_KIND, mode + ": " + i.limit(), i.exception());
                }
                if (mode == Mode.NEVER_SET) {
                    violations.record(Kind.NEVER_SET_TOKEN_INTERRUPTED, mode.toString(), i.exception());
                } else if (token != null && !token.isSet()) {
                    violations.record(Kind.TOKEN_INTERRUPTED_BUT_NOT_SET, mode.toString(), i.exception());
                }
                if (mode == Mode.ALLOCATIONS && bytes <= limit) {
                    violations.record(Kind.ALLOCATIONS_INTERRUPTED_UNDER_LIMIT, "allocated " + bytes
                            + " <= " + limit, i.exception());
                }
            } else if (mode == Mode.PRESET) {
                violations.record(Kind.PRESET_TOKEN_NOT_INTERRUPTED, String.valueOf(r), null);
            }
            if (mode == Mode.NESTED && r instanceof Result.Ok<?> ok
                    && ok.value() instanceof Result.Interrupted<?> inner) {
                interruptedByMode[mode.ordinal()]++;
                if (inner.limit() != Limit.ALLOCATIONS) {
                    violations.record(Kind.WRONG_LIMIT_KIND, "nested inner: " + inner.limit(), inner.exception());
                }
            }
            if (mode == Mode.PRESET && ran) {
                violations.record(Kind.PRESET_TOKEN_TASK_RAN, null, null);
            }
        }

        /** Allocates {@code work} bytes in small pieces, now and then parks or probes the status. */
        private long body(long work) throws InterruptedException {
            ran = true;
            long done = 0;
            int k = rnd.nextInt(100);
            if (k < 20) {
                parks++;
                LockSupport.parkNanos(rnd.nextLong(1_000, 20_000));   // a wake-up cuts it short
            } else if (k < 25) {
                try {
                    Thread.sleep(0);            // throws if the interrupt status is set
                } catch (InterruptedException e) {
                    if (!underToken || Masking.isBlocked()) {
                        violations.record(underToken ? Kind.INTERRUPT_SEEN_IN_MASKED_CODE
                                : Kind.UNEXPECTED_EXCEPTION_ESCAPED, "InterruptedException without a set token", e);
                    }
                    throw e;
                }
            }
            while (done < work) {
                int n = 64 + rnd.nextInt(4096);
                sink = new byte[n];
                done += n + 16;
            }
            return done;
        }
    }

    /** Runs the hygiene check from the command line (scripts/torture.sh); exits 1 on a violation. */
    public static void main(String[] args) throws Exception {
        System.out.println("hygiene: JDK " + Runtime.version() + ", "
                + ManagementFactory.getRuntimeMXBean().getInputArguments());
        Report r = new PoolHygiene(new Config()).run();
        System.out.print(r.figures());
        System.exit(r.violations == 0 ? 0 : 1);
    }
}
