package org.memproflimits.torture;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.memproflimits.Allocated;
import org.memproflimits.Guarded;
import org.memproflimits.Limit;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.PoisonedException;
import org.memproflimits.Resource;
import org.memproflimits.Result;
import org.memproflimits.Token;
import org.memproflimits.torture.Violations.Kind;

/**
 * The torture: thousands of tasks, each interrupted at a random point, doing a random mix of
 * everything that must survive an interrupt, followed by a check of every invariant.
 *
 * <h2>What a task does</h2>
 * Each worker thread runs tasks one after another. A task runs under a random arrangement of
 * limits - a token that a chaos thread sets at a random time, a random small allocation limit,
 * both nested either way, a token shared by all workers and set at random, an already-set
 * token, or a token that is never set - and runs random steps until it is interrupted (one task
 * in ten runs a bounded number of steps and may end Ok). The steps nest (up to depth 3):
 * <ul>
 *   <li>counted resources acquired and released through {@link Masking#withResource},
 *       {@link Masking#acquire} with try-with-resources, and {@link Masking#mask}; acquire and
 *       release allocate (so that samples fall inside them), sometimes probe the interrupt
 *       status, and acquisition fails on purpose now and then;</li>
 *   <li>{@code synchronized} sections (with {@code wait}), {@link ReentrantLock} sections
 *       (lock/try/finally, masked acquisition, {@code lockInterruptibly}), in a global order;</li>
 *   <li>fresh classes from a new {@link FreshLoader}: heavy static initializers, new lambda,
 *       string-concatenation and record call sites, enum switches, arrays of fresh classes;</li>
 *   <li>updates and reads of a {@code HashMap} under {@link Guarded#withRollback} and of a
 *       {@code ConcurrentHashMap} under {@link Guarded#poisonOnFailure}, each with a counter
 *       kept equal to the sum of its values by the same update;</li>
 *   <li>short parks and sleeps (woken by token wake-ups), catch-all handlers that follow the
 *       documented pattern, handlers that swallow the interrupt, nested limits, own failures.</li>
 * </ul>
 *
 * <h2>What is checked</h2>
 * After every task, outside limits: the interrupt status, mask and isInterrupted state; every
 * resource the task acquired was released exactly once, none whose acquisition failed was
 * released; no lock or monitor is still held; the task's fresh classes all work when called
 * again; the result is consistent with the limits (a token result has its token set, an
 * allocation result had allocated more than its limit when the limit was reached - counted, for
 * interrupts that arise at the task's own arrays and for tasks that return, in the task's own
 * bytes, so that an interrupt before even a 1 KiB limit shows - a pre-set token never runs its
 * task, a never-set token never interrupts); every escaped or ending exception is the library's
 * interrupt (inside {@code Result.Interrupted}) or the torture's own, and no
 * {@code LinkageError} is found in any of them. After the run: pools empty, locks unlocked,
 * monitors enterable by another thread, both Guarded states consistent (or explicitly poisoned),
 * the retained fresh loaders' classes all callable, and a last task under
 * {@code limitAllocations(1 MiB)} that allocates forever is Interrupted.
 *
 * <p>Run it with {@code TortureTest} (JUnit) or {@code scripts/torture.sh}. System properties:
 * {@code torture.interrupts} (interrupts to deliver, default 8000: the CI size), {@code torture.workers}
 * (default 3), {@code torture.seed}, {@code torture.samplingInterval} (bytes, default 65536),
 * {@code torture.stallSeconds} (hang guard, default 300), {@code torture.virtual} (workers on
 * virtual threads, JDK 21+), and three hazards off by default:
 * {@code torture.ioInInitializer}, {@code torture.sleepInInitializer} (static initializers that
 * do interruptible I/O or sleep) and {@code torture.nioLoader} (the fresh loader reads class
 * files through NIO).
 */
public final class Torture {

    // ------------------------------------------------------------------ configuration

    /** The run's parameters, from system properties. */
    public static final class Config {
        public long interrupts = Long.getLong("torture.interrupts", 8000);
        public int workers = Integer.getInteger("torture.workers", 3);
        public long seed = Long.getLong("torture.seed", System.nanoTime());
        public long samplingInterval = Long.getLong("torture.samplingInterval", 64 * 1024);
        public int stallSeconds = Integer.getInteger("torture.stallSeconds", 300);
        public boolean ioInInitializer = Boolean.getBoolean("torture.ioInInitializer");
        public boolean sleepInInitializer = Boolean.getBoolean("torture.sleepInInitializer");
        public boolean nioLoader = Boolean.getBoolean("torture.nioLoader");
        public int retainedLoaders = Integer.getInteger("torture.retainedLoaders", 200);
        /** Run the workers on virtual threads (JDK 21+). */
        public boolean virtual = Boolean.getBoolean("torture.virtual");

        @Override
        public String toString() {
            return "interrupts=" + interrupts + " workers=" + workers + " seed=" + seed
                    + " samplingInterval=" + samplingInterval + " ioInInitializer=" + ioInInitializer
                    + " sleepInInitializer=" + sleepInInitializer + " nioLoader=" + nioLoader
                    + " virtual=" + virtual;
        }
    }

    // ------------------------------------------------------------------ counters

    /** Per-worker counters: plain fields, incremented inside tasks without allocating. */
    static final int TASKS = 0, TASKS_OK = 1, TASKS_INTERRUPTED = 2, TASKS_ESCAPED_OWN = 3,
            TASKS_PRESET = 4, DELIVERED = 5, BY_TOKEN = 6, BY_ALLOCATIONS = 7,
            NESTED_CALLS = 8, RES_ACQUIRED = 9, RES_RELEASED = 10, RES_FAILED = 11,
            WITH_RESOURCE = 12, ACQUIRE_TWR = 13, MASK = 14, SYNC = 15, LOCK_PLAIN = 16,
            LOCK_MASKED = 17, LOCK_INTERRUPTIBLY = 18, WAITS = 19, SLEEPS = 20, FRESH_LOADERS = 21,
            FRESH_RUNS = 22, FRESH_CLASSES = 23, G_UPDATES = 24, G_UPDATE_FAILED = 25,
            G_READS = 26, G_POISONED_SEEN = 27, G_RECOVERIES = 28, CATCH_ALL = 29, SWALLOWED = 30,
            THROWN_OWN = 31, ALLOC_STEPS = 32, EXC_LIMIT_INTERRUPT = 33,
            EXC_INTERRUPTED_EXCEPTION = 34, EXC_OTHER = 35, BOUNDED_OK = 36, ALLOC_CHECKED = 37,
            NEVER_SET = 38, ALLOC_CHECKED_OWN = 39, ALLOC_CHECKED_SMALL = 40, COUNTERS = 41;
    static final String[] NAMES = {"tasks", "tasks Ok", "tasks Interrupted", "tasks ended by own exception",
        "tasks under a pre-set token", "interrupts delivered", "  by TOKEN", "  by ALLOCATIONS",
        "nested limit calls", "resources acquired", "resources released", "resource acquisitions failed (on purpose)",
        "Masking.withResource", "Masking.acquire + try-with-resources", "Masking.mask sections",
        "synchronized sections", "ReentrantLock lock/finally sections", "ReentrantLock masked sections",
        "ReentrantLock lockInterruptibly sections", "Object.wait calls", "parks and sleeps",
        "fresh class loaders", "fresh Entry runs", "fresh classes defined", "Guarded updates",
        "Guarded updates failed (rolled back or poisoned)", "Guarded reads", "PoisonedException seen",
        "Guarded recoveries", "catch-all handlers", "interrupts swallowed by task code",
        "own exceptions thrown", "allocation steps",
        "Interrupted ended by the library's interrupt (LimitInterrupt)",
        "Interrupted ended by InterruptedException (token wake-up)", "Interrupted ended by another exception",
        "bounded tasks Ok", "Interrupted(ALLOCATIONS) checked against the task's bytes",
        "tasks under a never-set token",
        "  of which on its own bytes (where it arose or returned)",
        "    of which under a limit below 16 KiB"};

    // ------------------------------------------------------------------ shared state

    static final int POOLS = 4;
    static final int LOCKS = 3;
    static final int MONITORS = 3;
    static final int ORDERS = LOCKS + MONITORS;

    /** A HashMap and the sum of its values, kept equal by every complete update. */
    static final class Ledger {
        HashMap<String, Long> map = new HashMap<>();
        long total;

        Ledger copy() {
            Ledger c = new Ledger();
            c.map = new HashMap<>(map);
            c.total = total;
            return c;
        }

        long inconsistency() {
            long s = 0;
            int n = 0;
            for (Map.Entry<String, Long> e : map.entrySet()) {
                s += e.getValue();
                n++;
                if (!e.getValue().equals(map.get(e.getKey()))) {
                    return Long.MIN_VALUE;          // the table lost track of an entry
                }
            }
            return n != map.size() ? Long.MIN_VALUE : s - total;
        }
    }

    /** The same over a ConcurrentHashMap, under poisoning. */
    static final class CLedger {
        ConcurrentHashMap<Integer, Long> map = new ConcurrentHashMap<>();
        long total;

        long inconsistency() {
            long s = 0;
            int n = 0;
            for (Map.Entry<Integer, Long> e : map.entrySet()) {
                s += e.getValue();
                n++;
                if (!e.getValue().equals(map.get(e.getKey()))) {
                    return Long.MIN_VALUE;
                }
            }
            return n != map.size() ? Long.MIN_VALUE : s - total;
        }
    }

    /** One counted resource: acquired and released through Masking by one task. */
    static final class Res {
        final int pool;
        boolean acquired;
        boolean failed;
        int releases;

        Res(int pool) {
            this.pool = pool;
        }
    }

    /** A token the chaos thread sets at a given time. */
    record Armed(Token token, long at) {
    }

    final Config cfg;
    final Violations violations = new Violations();
    final AtomicInteger[] pools = new AtomicInteger[POOLS];
    final ReentrantLock[] locks = new ReentrantLock[LOCKS];
    final Object[] monitors = new Object[MONITORS];
    final Guarded<Ledger> rollback = Guarded.withRollback(new Ledger(), Ledger::copy);
    final Guarded<CLedger> poisoned = Guarded.poisonOnFailure(new CLedger());
    final ConcurrentLinkedQueue<Armed> armed = new ConcurrentLinkedQueue<>();
    volatile Token group = new Token();
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong tasksDone = new AtomicLong();
    final AtomicLong tokensSetByChaos = new AtomicLong();
    final AtomicLong groupTokensSet = new AtomicLong();
    final ArrayDeque<FreshLoader> retained = new ArrayDeque<>();
    volatile boolean stop;
    final ClassLoader parent = Torture.class.getClassLoader();
    /** Where fresh loaders read class files through NIO, if torture.nioLoader. */
    volatile Path nioDirectory;
    /** Where the library's interrupts arose: the top frame of each, by class and method. */
    final ConcurrentHashMap<String, AtomicLong> sites = new ConcurrentHashMap<>();
    final AtomicLong raisedInFreshCode = new AtomicLong();
    final AtomicLong leastOwnOverLimit = new AtomicLong(Long.MAX_VALUE);
    /** Sink for allocations, so that the JIT cannot remove them. */
    static volatile Object sink;

    public Torture(Config cfg) {
        this.cfg = cfg;
        for (int i = 0; i < POOLS; i++) {
            pools[i] = new AtomicInteger();
        }
        for (int i = 0; i < LOCKS; i++) {
            locks[i] = new ReentrantLock();
        }
        for (int i = 0; i < MONITORS; i++) {
            monitors[i] = new Object();
        }
    }

    // ------------------------------------------------------------------ the run

    /** The figures of a run. */
    public static final class Report {
        public final long[] counters = new long[COUNTERS];
        public long violations;
        public String violationReport = "";
        public long tokensSetByChaos;
        public long groupTokensSet;
        public long freshInitializers;
        public long millis;
        public String config = "";
        public long poisonedAtEnd;
        public String finalTask = "";
        public long raisedInFreshCode;
        public String sites = "";
        /** The least by which a checked task's own bytes exceeded its limit; -1 if none checked. */
        public long leastOwnOverLimit = -1;

        public long get(int counter) {
            return counters[counter];
        }

        public String figures() {
            StringBuilder b = new StringBuilder();
            b.append("torture: ").append(config).append('\n');
            b.append(String.format("torture: %-62s %d ms%n", "run time", millis));
            for (int i = 0; i < COUNTERS; i++) {
                b.append(String.format("torture: %-62s %d%n", NAMES[i], counters[i]));
            }
            b.append(String.format("torture: %-62s %d%n", "tokens set by the chaos thread", tokensSetByChaos));
            b.append(String.format("torture: %-62s %d%n", "shared (group) tokens set", groupTokensSet));
            b.append(String.format("torture: %-62s %d%n", "fresh static initializers run", freshInitializers));
            b.append(String.format("torture: %-62s %d%n", "locks taken (all kinds)",
                    counters[SYNC] + counters[LOCK_PLAIN] + counters[LOCK_MASKED] + counters[LOCK_INTERRUPTIBLY]));
            b.append(String.format("torture: %-62s %d%n", "poison-on-failure state poisoned at the end", poisonedAtEnd));
            b.append(String.format("torture: %-62s %s%n", "final task under limitAllocations(1 MiB)", finalTask));
            b.append(String.format("torture: %-62s %d%n", "interrupts raised with fresh code on the stack", raisedInFreshCode));
            b.append(String.format("torture: %-62s %d%n", "least own bytes over the limit, of those (bytes)",
                    leastOwnOverLimit));
            b.append(sites);
            b.append(String.format("torture: %-62s %d%n", "violations", violations));
            if (violations > 0) {
                b.append(violationReport).append('\n');
            }
            return b.toString();
        }
    }

    /** Runs the torture; never throws for a violation, which is in the report. */
    public Report run() throws Exception {
        long t0 = System.nanoTime();
        FreshHooks.LINKAGE_FAILURES.set(0);          // global counters: one run at a time
        FreshHooks.FIRST_LINKAGE_FAILURE.set(null);
        FreshHooks.INITIALIZERS_RUN.set(0);
        FreshLoader.CLASSES_DEFINED.set(0);
        if (!MemprofLimits.isStarted()) {
            MemprofLimits.setSamplingInterval(cfg.samplingInterval);
        }
        MemprofLimits.start();
        FreshHooks.ioInInitializer = cfg.ioInInitializer;
        FreshHooks.sleepInInitializer = cfg.sleepInInitializer;
        Path tmp = Files.createTempDirectory("torture-");
        FreshHooks.configFile = Files.writeString(tmp.resolve("config.txt"), "answer = 42\n".repeat(50));
        if (cfg.nioLoader) {
            nioDirectory = tmp.resolve("classes");
            FreshLoader.copyClassFiles(parent, nioDirectory);
        }
        Worker[] workers = new Worker[cfg.workers];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i, new SplittableRandom(cfg.seed * 31 + i));
            workers[i].thread = newThread(workers[i], "torture-worker-" + i);
        }
        Thread chaos = new Thread(this::chaos, "torture-chaos");
        chaos.setDaemon(true);
        chaos.start();
        for (Worker w : workers) {
            w.thread.start();
        }
        boolean stalled = waitForWorkers(workers);
        stop = true;
        chaos.join(60_000);
        Report report = new Report();
        if (!stalled) {
            finalChecks(report);
        }
        for (Worker w : workers) {
            for (int i = 0; i < COUNTERS; i++) {
                report.counters[i] += w.c[i];
            }
        }
        report.tokensSetByChaos = tokensSetByChaos.get();
        report.groupTokensSet = groupTokensSet.get();
        report.freshInitializers = FreshHooks.INITIALIZERS_RUN.get();
        report.counters[FRESH_CLASSES] = FreshLoader.CLASSES_DEFINED.get();
        report.counters[DELIVERED] = delivered.get();
        report.config = cfg.toString();
        report.raisedInFreshCode = raisedInFreshCode.get();
        report.leastOwnOverLimit = leastOwnOverLimit.get() == Long.MAX_VALUE ? -1 : leastOwnOverLimit.get();
        StringBuilder top = new StringBuilder("torture: where the library's interrupts arose, for tasks ended by one (top frames, most frequent first):\n");
        sites.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get()))
                .limit(15)
                .forEach(en -> top.append(String.format("torture:     %8d  %s%n", en.getValue().get(), en.getKey())));
        report.sites = top.toString();
        if (FreshHooks.LINKAGE_FAILURES.get() > 0) {
            violations.record(Kind.LINKAGE_ERROR, FreshHooks.LINKAGE_FAILURES.get()
                    + " LinkageErrors seen inside fresh code", FreshHooks.FIRST_LINKAGE_FAILURE.get());
        }
        report.violations = violations.total();
        report.violationReport = violations.report();
        report.millis = (System.nanoTime() - t0) / 1_000_000;
        return report;
    }

    /** Waits for the workers; if none completes a task for the stall period, dumps threads. */
    private boolean waitForWorkers(Worker[] workers) throws InterruptedException {
        long last = -1;
        long lastChange = System.nanoTime();
        for (;;) {
            boolean alive = false;
            for (Worker w : workers) {
                w.thread.join(200);
                alive |= w.thread.isAlive();
            }
            if (!alive) {
                return false;
            }
            long done = tasksDone.get();
            if (done != last) {
                last = done;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > cfg.stallSeconds * 1_000_000_000L) {
                StringBuilder dump = new StringBuilder();
                for (ThreadInfo ti : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                    dump.append(ti);
                }
                System.out.println("torture: STALL, thread dump:\n" + dump);
                violations.record(Kind.STALL, "no task completed in " + cfg.stallSeconds + " s", null);
                stop = true;
                return true;
            }
        }
    }

    // ------------------------------------------------------------------ chaos

    private void chaos() {
        SplittableRandom r = new SplittableRandom(cfg.seed ^ 0x5eedL);
        long nextGroup = System.nanoTime() + r.nextLong(100_000, 5_000_000);
        while (!stop) {
            long now = System.nanoTime();
            for (Iterator<Armed> it = armed.iterator(); it.hasNext();) {
                Armed a = it.next();
                if (now - a.at() >= 0) {
                    a.token().set();
                    it.remove();
                    tokensSetByChaos.incrementAndGet();
                }
            }
            if (now - nextGroup >= 0) {
                Token g = group;
                group = new Token();
                g.set();
                groupTokensSet.incrementAndGet();
                nextGroup = now + r.nextLong(100_000, 5_000_000);
            }
            LockSupport.parkNanos(r.nextLong(2_000, 150_000));
        }
    }

    /** Has the chaos thread set {@code token} after a random delay (log-uniform, 1 us to 4 ms). */
    void arm(Token token, SplittableRandom r) {
        long delay = (long) Math.exp(r.nextDouble(Math.log(1_000), Math.log(4_000_000)));
        armed.add(new Armed(token, System.nanoTime() + delay));
    }

    static long randomLimit(SplittableRandom r) {
        return (long) Math.exp(r.nextDouble(Math.log(1024), Math.log(8 << 20)));
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The calling thread's exact count of allocated bytes; allocation-free. */
    static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * At least the heap bytes of an array of {@code payload} bytes of elements: a header of at
     * most 24 bytes (16 with compressed class pointers), rounded up to 8.
     */
    static long arrayBytesAtMost(long payload) {
        return (payload + 24 + 7) & ~7L;
    }

    // ------------------------------------------------------------------ final checks

    private void finalChecks(Report report) throws Exception {
        for (int i = 0; i < POOLS; i++) {
            if (pools[i].get() != 0) {
                violations.record(Kind.POOL_LEAK, "pool " + i + " has " + pools[i].get() + " in use", null);
            }
        }
        for (int i = 0; i < LOCKS; i++) {
            if (locks[i].isLocked() || locks[i].hasQueuedThreads()) {
                violations.record(Kind.LOCK_LOCKED_AFTER_RUN, "lock " + i + ": " + locks[i], null);
            }
        }
        AtomicInteger entered = new AtomicInteger();
        Thread probe = new Thread(() -> {
            for (Object m : monitors) {
                synchronized (m) {
                    entered.incrementAndGet();
                }
            }
        }, "torture-monitor-probe");
        probe.setDaemon(true);
        probe.start();
        probe.join(60_000);
        if (entered.get() != MONITORS) {
            violations.record(Kind.MONITOR_NOT_ENTERABLE, "entered " + entered.get() + " of " + MONITORS, null);
        }
        try {
            long d = rollback.read(Ledger::inconsistency);
            if (d != 0) {
                violations.record(Kind.GUARDED_INCONSISTENT, "rollback HashMap state off by " + d, null);
            }
        } catch (PoisonedException e) {
            violations.record(Kind.GUARDED_INCONSISTENT, "a rollback state was poisoned", e);
        }
        try {
            long d = poisoned.read(CLedger::inconsistency);
            if (d != 0) {
                violations.record(Kind.GUARDED_INCONSISTENT, "poison-on-failure ConcurrentHashMap state off by " + d, null);
            }
        } catch (PoisonedException e) {
            report.poisonedAtEnd = 1;                   // explicitly poisoned: allowed
        }
        List<FreshLoader> loaders;
        synchronized (retained) {
            loaders = new ArrayList<>(retained);
        }
        for (FreshLoader l : loaders) {
            verifyFresh(l, "after the run");
        }
        // The engine still interrupts the next task, promptly.
        AtomicLong result = new AtomicLong(-1);
        String[] what = {"did not return"};
        Thread last = new Thread(() -> {
            Result<Allocated<Object>> r = MemprofLimits.limitAllocations(1L << 20, () -> {
                for (;;) {
                    sink = new byte[1024];
                }
            });
            what[0] = r instanceof Result.Interrupted<?> i ? "Interrupted(" + i.limit() + ")" : "Ok";
            result.set(r instanceof Result.Interrupted<?> i && i.limit() == Limit.ALLOCATIONS ? 1 : 0);
        }, "torture-final-task");
        last.setDaemon(true);
        last.start();
        last.join(120_000);
        report.finalTask = what[0];
        if (result.get() != 1) {
            violations.record(Kind.ENGINE_NOT_INTERRUPTING, "final task: " + what[0], null);
        }
    }

    void verifyFresh(FreshLoader loader, String when) {
        try {
            Class.forName(FreshLoader.ENTRY, true, loader);
            loader.entry.verify();
        } catch (Throwable t) {
            violations.record(Kind.FRESH_CLASS_BROKEN, "loader " + loader.getName() + " " + when + ": " + t, t);
        }
    }

    // ------------------------------------------------------------------ workers and tasks

    /** How a task's limits are arranged. */
    enum Plan {
        /** limitWithToken, token set by the chaos thread. */
        TOKEN,
        /** limitAllocations with a random small limit. */
        ALLOCATIONS,
        /** limitWithToken(chaos) around limitAllocations. */
        TOKEN_THEN_ALLOCATIONS,
        /** limitAllocations around limitWithToken(chaos). */
        ALLOCATIONS_THEN_TOKEN,
        /** limitWithToken(shared token, set at random) around limitAllocations. */
        GROUP_THEN_ALLOCATIONS,
        /** limitWithToken with a token set before the task: must not run. */
        PRESET,
        /** limitWithToken with a token never set, bounded body: must never be Interrupted. */
        NEVER_SET
    }

    /** The state of one task, for the checks after it. */
    static final class TaskCtx {
        Plan plan;
        boolean bounded;
        int steps;
        int level = -1;                 // highest lock order held
        int nestedLimits;
        boolean ran;
        boolean swallowed;              // swallowed a library interrupt while not in a nested limit
        FreshLoader loader;
        final ArrayList<Res> resources = new ArrayList<>();
        Token token;
        Token innerToken;
        long limit;
        // the inner layer of a two-layer plan
        Result<?> inner;
        long innerBytes = -1;
        // The task's own bytes under its allocation limit (the plan's limitAllocations call), read
        // on the thread's exact counter; see "the task's own bytes" in Worker. -1: not known.
        /** The counter right before that call: bytes from here on are at least the task's. */
        long checkedStart = -1;
        /** At most the task's own bytes when the first interrupt of that limit arose. */
        long ownAtRaise = -1;
        /** At most the task's own bytes when its body returned, if that is the limit's task. */
        long ownAtReturn = -1;
    }

    /** A platform thread (daemon), or a virtual thread if torture.virtual (JDK 21+). */
    Thread newThread(Runnable r, String name) {
        if (!cfg.virtual) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }
        try {   // Thread.ofVirtual().name(name).unstarted(r), by reflection: compiled for JDK 17
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            Object b = Thread.class.getMethod("ofVirtual").invoke(null);
            b = builder.getMethod("name", String.class).invoke(b, name);
            return (Thread) builder.getMethod("unstarted", Runnable.class).invoke(b, r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("torture.virtual needs JDK 21 or later", e);
        }
    }

    final class Worker implements Runnable {
        final long[] c = new long[COUNTERS];
        final SplittableRandom rnd;
        final String name;
        Thread thread;
        /** The task running, for the steps that note its bytes. */
        TaskCtx current;

        Worker(int index, SplittableRandom rnd) {
            this.name = "torture-worker-" + index;
            this.rnd = rnd;
        }

        String getName() {
            return name;
        }

        @Override
        public void run() {
            try {
                while (!stop && delivered.get() < cfg.interrupts) {
                    oneTask();
                    tasksDone.incrementAndGet();
                }
            } catch (Throwable t) {
                violations.record(Kind.HARNESS, "worker " + getName() + " died: " + t, t);
            }
        }

        private void oneTask() {
            if (Thread.interrupted()) {
                violations.record(Kind.STALE_INTERRUPT_FLAG_AT_TASK_START, getName(), null);
            }
            if (Masking.isBlocked() || MemprofLimits.isInterrupted()) {
                violations.record(Kind.STATE_BEFORE_TASK, getName(), null);
            }
            TaskCtx ctx = new TaskCtx();
            current = ctx;
            int p = rnd.nextInt(100);
            ctx.plan = p < 28 ? Plan.TOKEN : p < 53 ? Plan.ALLOCATIONS : p < 66 ? Plan.TOKEN_THEN_ALLOCATIONS
                    : p < 78 ? Plan.ALLOCATIONS_THEN_TOKEN : p < 88 ? Plan.GROUP_THEN_ALLOCATIONS
                    : p < 93 ? Plan.PRESET : Plan.NEVER_SET;
            ctx.bounded = ctx.plan == Plan.NEVER_SET || rnd.nextInt(10) == 0;
            ctx.steps = ctx.bounded ? 1 + rnd.nextInt(25) : Integer.MAX_VALUE;
            ctx.limit = randomLimit(rnd);
            c[TASKS]++;
            Object result = null;
            Throwable escaped = null;
            long before = allocatedBytes();
            try {
                result = runPlan(ctx);
            } catch (Throwable t) {
                escaped = t;
            }
            long bytes = allocatedBytes() - before;
            afterTask(ctx, result, escaped, bytes);
        }

        private Object runPlan(TaskCtx ctx) throws Exception {
            switch (ctx.plan) {
                case TOKEN:
                    ctx.token = new Token();
                    arm(ctx.token, rnd);
                    return MemprofLimits.limitWithToken(ctx.token, () -> body(ctx));
                case ALLOCATIONS:
                    ctx.checkedStart = exactCounter();
                    return MemprofLimits.limitAllocations(ctx.limit, () -> bodyToEnd(ctx));
                case TOKEN_THEN_ALLOCATIONS:
                    ctx.token = new Token();
                    arm(ctx.token, rnd);
                    return MemprofLimits.limitWithToken(ctx.token, () -> innerAllocations(ctx));
                case ALLOCATIONS_THEN_TOKEN:
                    ctx.innerToken = new Token();
                    arm(ctx.innerToken, rnd);
                    ctx.checkedStart = exactCounter();
                    return MemprofLimits.limitAllocations(ctx.limit, () -> {
                        ctx.inner = MemprofLimits.limitWithToken(ctx.innerToken, () -> body(ctx));
                        return 0L;
                    });
                case GROUP_THEN_ALLOCATIONS:
                    ctx.token = group;
                    return MemprofLimits.limitWithToken(ctx.token, () -> innerAllocations(ctx));
                case PRESET:
                    ctx.token = new Token();
                    ctx.token.set();
                    return MemprofLimits.limitWithToken(ctx.token, () -> body(ctx));
                default:
                    ctx.token = new Token();
                    return MemprofLimits.limitWithToken(ctx.token, () -> body(ctx));
            }
        }

        private long innerAllocations(TaskCtx ctx) throws Exception {
            long b = allocatedBytes();
            ctx.checkedStart = exactCounter();
            Result<Allocated<Long>> r = MemprofLimits.limitAllocations(ctx.limit, () -> bodyToEnd(ctx));
            long a = allocatedBytes();
            ctx.inner = r;
            ctx.innerBytes = a - b;
            return 0L;
        }

        // ---------------------------------------------------------- after the task

        private void afterTask(TaskCtx ctx, Object result, Throwable escaped, long bytes) {
            if (Thread.interrupted()) {
                violations.record(Kind.INTERRUPT_FLAG_AFTER_LIMIT, ctx.plan + " ran=" + ctx.ran, null);
            }
            if (Masking.isBlocked()) {
                violations.record(Kind.MASK_LEFT_AFTER_TASK, ctx.plan.toString(), null);
            }
            if (MemprofLimits.isInterrupted()) {
                violations.record(Kind.IS_INTERRUPTED_AFTER_TASK, ctx.plan.toString(), null);
            }
            Limit outerKind = ctx.plan == Plan.ALLOCATIONS || ctx.plan == Plan.ALLOCATIONS_THEN_TOKEN
                    ? Limit.ALLOCATIONS : Limit.TOKEN;
            if (escaped != null) {
                checkEscaped(escaped, "outer " + ctx.plan);
            } else {
                Result<?> r = (Result<?>) result;
                // Exact counts only on platform threads; virtual threads' are estimates.
                long allocCheck = outerKind == Limit.ALLOCATIONS && !cfg.virtual ? bytes : -1;
                boolean interrupted = checkResult(r, outerKind, ctx.token, ctx.limit, allocCheck, ctx, ctx.plan + " outer");
                if (interrupted) {
                    c[TASKS_INTERRUPTED]++;
                } else {
                    c[TASKS_OK]++;
                    if (ctx.bounded) {
                        c[BOUNDED_OK]++;
                    }
                    // A swallowed interrupt belongs to the outer call or, in two-layer plans, to
                    // the inner one: one of them must say Interrupted.
                    if (ctx.swallowed && !(ctx.inner instanceof Result.Interrupted<?>)) {
                        violations.record(Kind.SWALLOWED_INTERRUPT_BUT_OK, ctx.plan.toString(), null);
                    }
                }
                if (ctx.plan == Plan.PRESET) {
                    c[TASKS_PRESET]++;
                    if (!interrupted) {
                        violations.record(Kind.PRESET_TOKEN_NOT_INTERRUPTED, null, null);
                    }
                } else if (interrupted) {
                    delivered.incrementAndGet();
                }
                if (ctx.plan == Plan.NEVER_SET) {
                    c[NEVER_SET]++;
                    if (interrupted) {
                        violations.record(Kind.NEVER_SET_TOKEN_INTERRUPTED, String.valueOf(r),
                                ((Result.Interrupted<?>) r).exception());
                    }
                }
            }
            if (ctx.plan == Plan.PRESET && ctx.ran) {
                violations.record(Kind.PRESET_TOKEN_TASK_RAN, null, null);
            }
            if (ctx.inner != null) {
                boolean innerIsAlloc = ctx.plan != Plan.ALLOCATIONS_THEN_TOKEN;
                if (checkResult(ctx.inner, innerIsAlloc ? Limit.ALLOCATIONS : Limit.TOKEN,
                        innerIsAlloc ? null : ctx.innerToken, ctx.limit,
                        innerIsAlloc && !cfg.virtual ? ctx.innerBytes : -1, ctx, ctx.plan + " inner")) {
                    delivered.incrementAndGet();
                }
            }
            // Resources: released exactly once iff acquired.
            for (Res r : ctx.resources) {
                if (r.acquired && r.releases != 1) {
                    violations.record(Kind.RELEASE_COUNT, "pool " + r.pool + " acquired, released "
                            + r.releases + " times (" + ctx.plan + ")", null);
                } else if (!r.acquired && r.releases != 0) {
                    violations.record(Kind.FAILED_ACQUIRE_RELEASED, "pool " + r.pool + " released "
                            + r.releases + " times", null);
                }
            }
            for (int i = 0; i < LOCKS; i++) {
                if (locks[i].isHeldByCurrentThread()) {
                    violations.record(Kind.LOCK_HELD_AFTER_TASK, "lock " + i + " hold count "
                            + locks[i].getHoldCount() + " (" + ctx.plan + ")", null);
                    while (locks[i].isHeldByCurrentThread()) {
                        locks[i].unlock();
                    }
                }
            }
            for (int i = 0; i < MONITORS; i++) {
                if (Thread.holdsLock(monitors[i])) {
                    violations.record(Kind.MONITOR_HELD_AFTER_TASK, "monitor " + i, null);
                }
            }
            if (ctx.loader != null) {
                verifyFresh(ctx.loader, "after its task");
                synchronized (retained) {
                    retained.addLast(ctx.loader);
                    if (retained.size() > cfg.retainedLoaders) {
                        retained.removeFirst();
                    }
                }
            }
        }

        /**
         * Checks a result against its call's limit; returns whether it is Interrupted. For the
         * plan's allocation limit, {@code bytes} is the thread's count over the whole call (or -1
         * on virtual threads), and {@code ctx}'s own-byte bounds, where known, are tighter.
         */
        private boolean checkResult(Result<?> r, Limit kind, Token token, long limit, long bytes, TaskCtx ctx,
                String where) {
            if (!(r instanceof Result.Interrupted<?> i)) {
                return false;
            }
            if (i.limit() != kind) {
                violations.record(Kind.WRONG_LIMIT_KIND, where + ": " + i.limit() + " for a " + kind + " call", i.exception());
            }
            if (i.limit() == Limit.TOKEN) {
                c[BY_TOKEN]++;
                if (token != null && !token.isSet()) {
                    violations.record(Kind.TOKEN_INTERRUPTED_BUT_NOT_SET, where, i.exception());
                }
            } else if (i.limit() == Limit.ALLOCATIONS) {
                c[BY_ALLOCATIONS]++;
                if (bytes >= 0) {
                    c[ALLOC_CHECKED]++;
                    long own = ownBytesAtMost(ctx);
                    String how = "allocated at most " + bytes + " bytes in the whole call";
                    if (own >= 0) {
                        c[ALLOC_CHECKED_OWN]++;
                        if (limit < 16 << 10) {
                            c[ALLOC_CHECKED_SMALL]++;
                        }
                        leastOwnOverLimit.accumulateAndGet(own - limit, Math::min);
                        if (own < bytes) {
                            bytes = own;
                            how = "allocated at most " + own + " bytes of its own "
                                    + (own == ctx.ownAtRaise ? "when its interrupt arose" : "when it returned");
                        }
                    }
                    if (bytes <= limit) {
                        violations.record(Kind.ALLOCATIONS_INTERRUPTED_UNDER_LIMIT, where + ": " + how
                                + " <= limit " + limit, i.exception());
                    }
                }
            }
            Throwable e = i.exception();
            countEnding(e);
            recordSite(e);
            Throwable linkage = Violations.findLinkageError(e);
            if (linkage != null) {
                violations.record(Kind.LINKAGE_ERROR, where + ": in an Interrupted result: " + linkage, e);
            }
            return true;
        }

        /** Outside limits: where did the interrupt arise? */
        private void recordSite(Throwable e) {
            if (!e.getClass().getName().equals("org.memproflimits.internal.LimitInterrupt")) {
                return;
            }
            StackTraceElement[] trace = e.getStackTrace();
            if (trace.length == 0 || trace[0].getClassName().startsWith("org.memproflimits.internal.")) {
                return;     // made by the limit function (token pre-set, or task returned): not raised
            }
            sites.computeIfAbsent(trace[0].getClassName() + "." + trace[0].getMethodName(),
                    k -> new AtomicLong()).incrementAndGet();
            for (StackTraceElement f : trace) {
                if (f.getClassName().startsWith(FreshLoader.PACKAGE)) {
                    raisedInFreshCode.incrementAndGet();
                    break;
                }
            }
        }

        private void countEnding(Throwable e) {
            if (e.getClass().getName().equals("org.memproflimits.internal.LimitInterrupt")) {
                c[EXC_LIMIT_INTERRUPT]++;
            } else if (e instanceof InterruptedException) {
                c[EXC_INTERRUPTED_EXCEPTION]++;
            } else {
                c[EXC_OTHER]++;
            }
        }

        private void checkEscaped(Throwable t, String where) {
            Throwable linkage = Violations.findLinkageError(t);
            if (linkage != null) {
                violations.record(Kind.LINKAGE_ERROR, where + ": escaped: " + linkage, t);
            }
            if (ExpectedFailure.isOwn(t)) {
                c[TASKS_ESCAPED_OWN]++;
            } else if (linkage == null) {
                violations.record(Kind.UNEXPECTED_EXCEPTION_ESCAPED, where + ": " + t, t);
            }
        }

        // ---------------------------------------------------------- the task's body

        private long body(TaskCtx ctx) throws Exception {
            ctx.ran = true;
            long acc = 0;
            for (int i = 0; i < ctx.steps; i++) {
                acc += step(ctx, 0);
            }
            return acc;
        }

        /**
         * The body as the task of the plan's allocation limit: notes the thread's count when it
         * returns, after the boxing of its value - the last allocation inside that limit's scope
         * (what follows, up to the scope's end, is masked or allocation-free).
         */
        private Long bodyToEnd(TaskCtx ctx) throws Exception {
            Long value = body(ctx);
            if (ctx.checkedStart >= 0) {
                ctx.ownAtReturn = allocatedBytes() - ctx.checkedStart;
            }
            return value;
        }

        // ---------------------------------------------------------- the task's own bytes
        //
        // The early-interrupt check: an Interrupted(ALLOCATIONS) result of the plan's allocation
        // limit means its scope was reached - the library's count of the task's bytes (the
        // thread's exact counter less what the sample callback allocated) exceeded the limit at
        // a sample - and the task must by then have allocated more than its limit. The thread's
        // counter over the whole call also counts the scope's bookkeeping, the interrupt and its
        // stack trace, and what the unwinding and the releases allocated after the interrupt:
        // kilobytes, more than the smallest limits (1 KiB). Tighter, exact upper bounds of the
        // task's own bytes when the limit was reached:
        //  - at a raise: when an interrupt arises at one of the task's own arrays in allocate(),
        //    the counter just before that allocation plus the array's size, less the counter just
        //    before the limit call (so the little the scope's start allocates is counted too).
        //    Only when the interrupt can only be that limit's: no nested limit active and no token
        //    of the plan set (tokens are never unset, so not set at the catch means not set at the
        //    raise), so the limit was reached at this sample or before;
        //  - at the body's return, when the body is that limit's task (the scope was reached, if
        //    at all, at a sample before it returned).
        // Each is an upper bound: the library's count is the same counter over a sub-range, less
        // the callback's bytes. So a correct engine never fails this check (deterministic), and
        // an engine that interrupts such a task more than a few hundred bytes before its limit
        // is caught, however small the limit. Other interrupts are checked on the whole call.

        /** The thread's counter if the running task's own bytes are being tracked, else -1. */
        private long exactCounter() {
            return cfg.virtual ? -1 : allocatedBytes();
        }

        /** The counter before one of the task's own allocations, or -1 if not needed. */
        private long beforeOwnAllocation() {
            TaskCtx ctx = current;
            return ctx != null && ctx.checkedStart >= 0 && ctx.ownAtRaise < 0 ? allocatedBytes() : -1;
        }

        /** {@code t} arose at an allocation of {@code arrayBytes} at most, the counter being {@code before}. */
        private void arose(Throwable t, long before, long arrayBytes) {
            TaskCtx ctx = current;
            if (before < 0 || ctx.ownAtRaise >= 0 || ctx.nestedLimits > 0
                    || (ctx.token != null && ctx.token.isSet()) || (ctx.innerToken != null && ctx.innerToken.isSet())
                    || !t.getClass().getName().equals("org.memproflimits.internal.LimitInterrupt")) {
                return;
            }
            ctx.ownAtRaise = before - ctx.checkedStart + arrayBytes;
        }

        /** The tightest known upper bound of the task's own bytes when its limit was reached, or -1. */
        private long ownBytesAtMost(TaskCtx ctx) {
            if (ctx.ownAtRaise >= 0 && ctx.ownAtReturn >= 0) {
                return Math.min(ctx.ownAtRaise, ctx.ownAtReturn);
            }
            return Math.max(ctx.ownAtRaise, ctx.ownAtReturn);
        }

        private long nested(TaskCtx ctx, int depth) throws Exception {
            long acc = allocate();
            if (depth < 3) {
                int n = rnd.nextInt(3);
                for (int i = 0; i < n; i++) {
                    acc += step(ctx, depth + 1);
                }
            }
            return acc;
        }

        private long allocate() {
            c[ALLOC_STEPS]++;
            int kind = rnd.nextInt(4);
            int size = 256 + rnd.nextInt(16 << 10);
            Object o;
            if (kind == 0) {
                long before = beforeOwnAllocation();
                try {
                    o = new byte[size];
                } catch (Throwable t) {
                    arose(t, before, arrayBytesAtMost(size));
                    throw t;
                }
            } else if (kind == 1) {
                ArrayList<String> l = new ArrayList<>();
                for (int i = 0; i < size / 64; i++) {
                    l.add(Integer.toString(i));
                }
                o = l;
            } else if (kind == 2) {
                HashMap<Integer, int[]> m = new HashMap<>();
                for (int i = 0; i < size / 256; i++) {
                    m.put(i, new int[8]);
                }
                o = m;
            } else {
                long before = beforeOwnAllocation();
                try {
                    o = new long[size / 8];
                } catch (Throwable t) {
                    arose(t, before, arrayBytesAtMost(8L * (size / 8)));
                    throw t;
                }
            }
            sink = o;
            return size;
        }

        private long step(TaskCtx ctx, int depth) throws Exception {
            int k = rnd.nextInt(1000);
            if (k < 170) {
                return allocate();
            } else if (k < 250) {
                return withResourceStep(ctx, depth);
            } else if (k < 330) {
                return acquireStep(ctx, depth);
            } else if (k < 380) {
                return maskStep(ctx);
            } else if (k < 490) {
                return lockStep(ctx, depth);
            } else if (k < 560) {
                return freshStep(ctx);
            } else if (k < 620) {
                return rollbackUpdate();
            } else if (k < 680) {
                return poisonUpdate();
            } else if (k < 720) {
                return guardedRead();
            } else if (k < 726) {
                c[THROWN_OWN]++;
                throw new ExpectedFailure("task failed on purpose");
            } else if (k < 750) {
                return sleepStep();
            } else if (k < 800) {
                return catchAllStep(ctx, depth);
            } else if (k < 820) {
                return swallowStep(ctx);
            } else if (k < 860 && ctx.nestedLimits < 2) {
                return nestedLimitStep(ctx, depth);
            }
            return allocate();
        }

        // ---------------------------------------------------------- counted resources

        /** Masked: takes a unit of a pool; allocates; fails on purpose now and then. */
        private Res acquireRes(TaskCtx ctx, int pool) throws InterruptedException {
            checkMasked("acquire");
            Res r = new Res(pool);
            ctx.resources.add(r);
            pools[pool].incrementAndGet();
            maskedWork();
            if (rnd.nextInt(40) == 0) {
                pools[pool].decrementAndGet();
                r.failed = true;
                c[RES_FAILED]++;
                throw new ExpectedFailure("acquisition failed on purpose");
            }
            r.acquired = true;
            c[RES_ACQUIRED]++;
            return r;
        }

        /** Masked: gives the unit back; allocates before counting, so an interrupt here shows. */
        private void releaseRes(Res r) {
            checkMasked("release");
            try {
                maskedWork();
            } catch (InterruptedException e) {
                violations.record(Kind.INTERRUPT_SEEN_IN_MASKED_CODE, "InterruptedException in release", e);
            }
            r.releases++;
            if (r.acquired) {
                pools[r.pool].decrementAndGet();
                c[RES_RELEASED]++;
            }
        }

        private void checkMasked(String where) {
            if (!Masking.isBlocked()) {
                violations.record(Kind.NOT_MASKED_IN_ACQUIRE_OR_RELEASE, where, null);
            }
            if (Thread.currentThread().isInterrupted()) {
                violations.record(Kind.INTERRUPT_SEEN_IN_MASKED_CODE, where + ": interrupt status set", null);
            }
        }

        /** Masked work: allocation (samples fall here and must be dropped) and an interrupt probe. */
        private void maskedWork() throws InterruptedException {
            int n = rnd.nextInt(24);
            for (int i = 0; i < n; i++) {
                sink = new byte[4096];
            }
            if (rnd.nextInt(8) == 0) {
                try {
                    Thread.sleep(0);            // throws if the interrupt status is set
                } catch (InterruptedException e) {
                    violations.record(Kind.INTERRUPT_SEEN_IN_MASKED_CODE, "Thread.sleep(0) threw in masked code", e);
                }
            }
        }

        private long withResourceStep(TaskCtx ctx, int depth) throws Exception {
            c[WITH_RESOURCE]++;
            int pool = rnd.nextInt(POOLS);
            try {
                return Masking.withResource(() -> acquireRes(ctx, pool), r -> nested(ctx, depth),
                        r -> releaseRes(r));
            } catch (ExpectedFailure e) {
                return 0;                       // a failed acquisition (or the scope's own failure)
            }
        }

        private long acquireStep(TaskCtx ctx, int depth) throws Exception {
            c[ACQUIRE_TWR]++;
            int pool = rnd.nextInt(POOLS);
            try (Resource<Res> held = Masking.acquire(() -> acquireRes(ctx, pool), this::releaseRes)) {
                return nested(ctx, depth) + held.get().pool;
            } catch (ExpectedFailure e) {
                return 0;
            }
        }

        private long maskStep(TaskCtx ctx) throws Exception {
            c[MASK]++;
            int pool = rnd.nextInt(POOLS);
            try {
                return Masking.mask(() -> {
                    Res r = acquireRes(ctx, pool);
                    maskedWork();
                    if (rnd.nextBoolean()) {
                        Masking.mask(() -> {             // masks nest
                            maskedWork();
                            return null;
                        });
                    }
                    checkMasked("mask");
                    releaseRes(r);
                    return 1L;
                });
            } catch (ExpectedFailure e) {
                return 0;
            }
        }

        // ---------------------------------------------------------- locks and monitors

        private long lockStep(TaskCtx ctx, int depth) throws Exception {
            if (ctx.level >= ORDERS - 1) {
                return allocate();
            }
            int order = ctx.level + 1 + rnd.nextInt(ORDERS - 1 - ctx.level);
            int saved = ctx.level;
            if (order >= LOCKS) {
                Object m = monitors[order - LOCKS];
                c[SYNC]++;
                synchronized (m) {
                    ctx.level = order;
                    try {
                        long acc = nested(ctx, depth);
                        if (rnd.nextInt(20) == 0) {
                            c[WAITS]++;
                            m.wait(1);
                        }
                        return acc;
                    } finally {
                        ctx.level = saved;
                    }
                }
            }
            ReentrantLock lock = locks[order];
            int how = rnd.nextInt(5);
            if (how < 2) {
                c[LOCK_PLAIN]++;
                lock.lock();
                try {
                    ctx.level = order;
                    return nested(ctx, depth);
                } finally {
                    ctx.level = saved;
                    lock.unlock();
                }
            } else if (how < 4) {
                c[LOCK_MASKED]++;
                try (Resource<ReentrantLock> held = Masking.acquire(() -> {
                    lock.lock();
                    return lock;
                }, ReentrantLock::unlock)) {
                    ctx.level = order;
                    return nested(ctx, depth);
                } finally {
                    ctx.level = saved;
                }
            } else {
                c[LOCK_INTERRUPTIBLY]++;
                lock.lockInterruptibly();       // a token's wake-up may interrupt the wait
                try {
                    ctx.level = order;
                    return nested(ctx, depth);
                } finally {
                    ctx.level = saved;
                    lock.unlock();
                }
            }
        }

        // ---------------------------------------------------------- fresh classes

        private long freshStep(TaskCtx ctx) {
            if (ctx.loader == null) {
                ctx.loader = new FreshLoader(parent, nioDirectory);
                c[FRESH_LOADERS]++;
            }
            try {
                Class.forName(FreshLoader.ENTRY, true, ctx.loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            c[FRESH_RUNS]++;
            return ctx.loader.entry.run(rnd.nextLong(), 1 + rnd.nextInt(6));
        }

        // ---------------------------------------------------------- Guarded

        private long rollbackUpdate() {
            c[G_UPDATES]++;
            int k = 1 + rnd.nextInt(8);
            long delta = 1 + rnd.nextInt(100);
            boolean fail = rnd.nextInt(50) == 0;
            try {
                return rollback.update(l -> {
                    l.total += k * delta;               // the counter first: inconsistent until the end
                    for (int j = 0; j < k; j++) {
                        l.map.merge("key-" + rnd.nextInt(3000), delta, Long::sum);
                        if (fail && j == k / 2) {
                            throw new ExpectedFailure("update failed on purpose");
                        }
                    }
                    if (l.map.size() > 2000) {
                        l.map = new HashMap<>();         // start again, so that tables grow again
                        l.total = 0;
                    }
                    return 1L;
                });
            } catch (ExpectedFailure e) {
                c[G_UPDATE_FAILED]++;
                return 0;
            } catch (PoisonedException e) {
                violations.record(Kind.GUARDED_INCONSISTENT, "the rollback state is poisoned", e);
                return 0;
            }
        }

        private long poisonUpdate() {
            c[G_UPDATES]++;
            int k = 1 + rnd.nextInt(8);
            long delta = 1 + rnd.nextInt(100);
            boolean fail = rnd.nextInt(50) == 0;
            try {
                return poisoned.update(l -> {
                    for (int j = 0; j < k; j++) {
                        l.map.merge(rnd.nextInt(5000), delta, Long::sum);
                        if (fail && j == k / 2) {
                            throw new ExpectedFailure("update failed on purpose");
                        }
                    }
                    l.total += k * delta;               // the counter last
                    if (l.map.size() > 3000) {
                        l.map = new ConcurrentHashMap<>();
                        l.total = 0;
                    }
                    return 1L;
                });
            } catch (ExpectedFailure e) {
                c[G_UPDATE_FAILED]++;
                return 0;
            } catch (PoisonedException e) {
                c[G_POISONED_SEEN]++;
                poisoned.recover(new CLedger());
                c[G_RECOVERIES]++;
                return 0;
            }
        }

        private long guardedRead() {
            c[G_READS]++;
            long d = rollback.read(Ledger::inconsistency);
            if (d != 0) {
                violations.record(Kind.GUARDED_INCONSISTENT, "rollback state off by " + d + " during the run", null);
            }
            try {
                d = poisoned.read(CLedger::inconsistency);
                if (d != 0) {
                    violations.record(Kind.GUARDED_INCONSISTENT, "poison-on-failure state off by " + d
                            + " during the run", null);
                }
            } catch (PoisonedException e) {
                c[G_POISONED_SEEN]++;
            }
            return d;
        }

        // ---------------------------------------------------------- blocking, handlers, nesting

        private long sleepStep() throws InterruptedException {
            c[SLEEPS]++;
            int k = rnd.nextInt(4);
            if (k < 2) {
                LockSupport.parkNanos(rnd.nextLong(5_000, 200_000));   // returns early on a wake-up
            } else if (k == 2) {
                Thread.sleep(0);                // throws if a wake-up left the status set
            } else {
                Thread.sleep(1);
            }
            return k;
        }

        private long catchAllStep(TaskCtx ctx, int depth) throws Exception {
            c[CATCH_ALL]++;
            try {
                return nested(ctx, depth);
            } catch (Throwable t) {
                if (MemprofLimits.isInterrupted()) {
                    throw t;                    // the documented pattern: never swallow an interrupt
                }
                if (!ExpectedFailure.isOwn(t)) {
                    violations.record(Kind.CATCH_ALL_UNEXPECTED, null, t);
                    throw t;
                }
                return 0;
            }
        }

        private long swallowStep(TaskCtx ctx) {
            try {
                return allocate();
            } catch (Throwable t) {
                // Bad user code: swallows the interrupt and carries on. The next sample raises
                // again (sticky), and the limit function must still say Interrupted.
                c[SWALLOWED]++;
                if (t instanceof LinkageError) {
                    violations.record(Kind.LINKAGE_ERROR, "swallowed by task code", t);
                }
                if (MemprofLimits.isInterrupted() && ctx.nestedLimits == 0) {
                    ctx.swallowed = true;
                }
                return 0;
            }
        }

        private long nestedLimitStep(TaskCtx ctx, int depth) throws Exception {
            c[NESTED_CALLS]++;
            Token inner = null;
            long limit = randomLimit(rnd);
            int bound = 1 + rnd.nextInt(20);
            Task body = () -> {
                long acc = 0;
                for (int i = 0; i < bound; i++) {
                    acc += step(ctx, Math.min(3, depth + 1));
                }
                return acc;
            };
            Result<?> r;
            ctx.nestedLimits++;
            try {
                if (rnd.nextBoolean()) {
                    inner = new Token();
                    if (rnd.nextInt(4) == 0) {
                        inner.set();
                    } else {
                        arm(inner, rnd);
                    }
                    r = MemprofLimits.limitWithToken(inner, body::run);
                } else {
                    r = MemprofLimits.limitAllocations(limit, body::run);
                }
            } catch (Throwable t) {
                if (!ExpectedFailure.isOwn(t) && !MemprofLimits.isInterrupted()) {
                    violations.record(Kind.NESTED_ESCAPE, null, t);
                }
                throw t;
            } finally {
                ctx.nestedLimits--;
            }
            if (r instanceof Result.Interrupted<?> i) {
                if (inner != null && (i.limit() != Limit.TOKEN || !inner.isSet())) {
                    violations.record(Kind.TOKEN_INTERRUPTED_BUT_NOT_SET, "nested: " + i.limit(), i.exception());
                }
                if (inner == null && i.limit() != Limit.ALLOCATIONS) {
                    violations.record(Kind.WRONG_LIMIT_KIND, "nested: " + i.limit(), i.exception());
                }
                if (i.exception() instanceof LinkageError || i.exception().getCause() instanceof LinkageError) {
                    violations.record(Kind.LINKAGE_ERROR, "nested Interrupted", i.exception());
                }
                c[inner != null ? BY_TOKEN : BY_ALLOCATIONS]++;
                countEnding(i.exception());
                delivered.incrementAndGet();
            }
            return 1;
        }
    }

    /** A task body that may throw anything. */
    @FunctionalInterface
    interface Task {
        long run() throws Exception;
    }

    /** Runs the torture from the command line (scripts/torture.sh); exits 1 on a violation. */
    public static void main(String[] args) throws Exception {
        Config cfg = new Config();
        System.out.println("torture: JDK " + Runtime.version() + ", "
                + ManagementFactory.getRuntimeMXBean().getInputArguments());
        Report r = new Torture(cfg).run();
        System.out.print(r.figures());
        System.exit(r.violations == 0 ? 0 : 1);
    }
}
