package org.memproflimits;

import java.time.Duration;
import org.memproflimits.internal.Engine;

/**
 * Global memory limits, allocation limits, time limits and token cancellation of running code,
 * raised inside the limited thread.
 *
 * <h2>What it is</h2>
 * Each limit function runs a {@link Task} in the calling thread. While it runs, the JVM's heap
 * sampler calls into the library about once per {@linkplain #samplingInterval() sampling
 * interval} of bytes the thread allocates; when the task's limit is reached, the library makes a
 * private {@code Error} arise at that allocation, inside the task, and the limit function returns
 * {@link Result.Interrupted}. A runaway parser, script or query thus stops after a bounded amount
 * of work, without {@code Thread.stop}, and its thread is reusable afterwards.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@code Interrupted} is returned if and only if an interrupt arose because this call's
 *       limit was reached by this task. Other exceptions propagate unchanged.</li>
 *   <li>Sticky: once interrupted, the interrupt arises again at later samples until the task
 *       returns, so a task that swallows it still stops soon, and still gets
 *       {@code Interrupted}.</li>
 *   <li>Limits apply to the calling thread only; threads the task starts are not limited.</li>
 *   <li>No interrupt arises while the thread runs a static initializer, loads or links a class,
 *       runs an {@code invokedynamic} bootstrap, or runs masked code ({@link Masking}); it is
 *       deferred to a later sample. The thread's interrupt status is left as it was when the
 *       limit function returns.</li>
 *   <li>Allocation and global memory limits stop code where it allocates. Token, time and
 *       CPU-time limits also stop code that never allocates - {@code while (true) {}}, a
 *       regular expression backtracking - from outside: the engine suspends the thread, checks
 *       that the place is safe by the same rules, and makes the interrupt arise at the loop's
 *       safepoint poll (a millisecond after the limit is reached, typically); a blocked task is
 *       woken with {@link Thread#interrupt()}. The outside stop is opt-in for now: run with
 *       {@code -Dorg.memproflimits.outsideStop=true} (the library's torture test still finds
 *       masked regions left raised with it on; see the README). Without it, such code is
 *       stopped only at checkpoints; blocked tasks are woken either way.</li>
 * </ul>
 * All methods are thread-safe.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Result<Allocated<Object>> r = MemprofLimits.limitAllocations(256L << 20, () -> parse(json));
 * if (r instanceof Result.Ok<Allocated<Object>> ok) {
 *     System.out.println("parsed, " + ok.value().bytes() + " bytes allocated");
 * } else {
 *     System.out.println("input rejected: too much work");
 * }
 * }</pre>
 *
 * <p>The engine loads a small native library on first use; on JDK 22 and later run with
 * {@code --enable-native-access=ALL-UNNAMED} (or the module name) to avoid the JDK's warning.
 */
public final class MemprofLimits {
    /**
     * The largest allocation limit: 2<sup>62</sup> bytes (4 EiB), beyond any real allocation
     * (146 years at 1 GB/s), and small enough that the library's sums of counts never overflow.
     */
    public static final long MAX_ALLOCATION_LIMIT = 1L << 62;

    private MemprofLimits() {
    }

    /**
     * Starts the engine, if it is not started: loads the native library and turns on heap
     * sampling for the rest of the JVM's life. Every limit function calls it; calling it early
     * moves the one-time cost (a few milliseconds) out of the first task.
     *
     * @throws EngineUnavailableException if the engine cannot run in this JVM; the message says
     *         why and what to do, and nothing is left half-started
     */
    public static void start() {
        Engine.start();
    }

    /** @return whether the engine is started */
    public static boolean isStarted() {
        return Engine.isStarted();
    }

    /**
     * Sets the heap sampling interval, the average number of bytes a thread allocates between two
     * checks of its limits. Smaller intervals stop tasks sooner and cost more. Only before
     * {@link #start()}; the system property {@code org.memproflimits.samplingInterval} sets it
     * too. Default: 128 KiB - a sample costs about 0.5 µs of CPU in allocation-heavy code, so a
     * thread allocating 1 GB/s pays about 0.5% for its samples and a token stops it within a
     * millisecond; see {@code docs/performance.md}.
     *
     * @param bytes the interval, in [1024, 2<sup>30</sup>]
     * @throws IllegalArgumentException if {@code bytes} is outside that range
     * @throws IllegalStateException if the engine is already started with another interval
     */
    public static void setSamplingInterval(long bytes) {
        Engine.setSamplingInterval(bytes);
    }

    /** @return the heap sampling interval in bytes, in force or to be used at start */
    public static long samplingInterval() {
        return Engine.samplingInterval();
    }

    /**
     * Runs {@code task} under the threat of an interrupt if the heap's occupancy exceeds the
     * {@linkplain #setGlobalMemoryLimit global memory limit}.
     *
     * <p>Occupancy is the heap's use after the most recent garbage collection (garbage does not
     * count), refined by the old generation's current use so that data retained faster than
     * collections run is caught before the JVM throws {@code OutOfMemoryError}. Once the heap is
     * over the limit, every task under this limit is interrupted at its next samples - those
     * allocating most, first. The verdict comes from a full collection that the library
     * requests (at most once per collection cycle) when a signal shows the heap near or over the
     * limit, so that old garbage does not interrupt anyone; and once every task it interrupted
     * has ended, the next task to find the heap over the limit has it confirmed again, so a new
     * task can start right after a wave without waiting for the JVM to collect (with
     * {@code -XX:+DisableExplicitGC} it does have to wait).
     *
     * <p>Data retained in the young generation since the last collection is invisible until
     * the next one (nothing tells live objects from garbage there without a collection), so a
     * heap pushed over the limit that way interrupts tasks only from the next young collection
     * on - at most a young generation's worth of allocation later - or sooner if current use
     * comes within 5% of the heap's maximum, which is what keeps {@code OutOfMemoryError} out.
     *
     * <p>On each collector:
     * <ul>
     *   <li>G1, Parallel and Serial: as above; the signals are the last collection's figure
     *       and the old generation's current use, and the verdict is a requested full
     *       collection ({@code System.gc()}). Threads under this limit that sample while it runs
     *       wait for it; other threads run on.</li>
     *   <li>ZGC and Shenandoah (concurrent; one generation on JDK 17, and in Shenandoah's
     *       default mode): the verdict is a requested cycle (on generational ZGC a major one),
     *       which the requesting thread waits for. Their young generation, if any, has no fixed
     *       size, so they also signal whenever the heap has allocated, since the last
     *       confirmation, as much as would take the occupancy it found over the limit; on a heap
     *       of one generation current use over the limit signals too, once per cycle. So while
     *       current use is over the limit, garbage included, the library requests a cycle every
     *       (limit - occupancy) bytes of allocation: set the limit above the heap's usual current
     *       use there. A cycle of the collector's own that ends over the limit is the verdict
     *       by itself on a heap of one generation. Shenandoah's use does not count the unused
     *       ends of humongous regions (an object of a region's size or more: 256 KiB in heaps
     *       up to 512 MiB), and it keeps reserves, so it throws {@code OutOfMemoryError} while
     *       its use is still well below the heap's maximum: keep the limit well below that
     *       there.</li>
     *   <li>Epsilon (no collection ever): current use, which there is the occupancy.</li>
     *   <li>A collector this library does not know: watched as a heap of one generation, and the
     *       engine logs a warning naming it when it starts ({@code System.Logger}
     *       "org.memproflimits").</li>
     * </ul>
     * A concurrent collector's figure also counts what other threads allocated while the cycle
     * ran, so there the limit errs towards interrupting early.
     *
     * @param task the task, run in the calling thread
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return {@code Ok} with its value, or {@code Interrupted(GLOBAL_MEMORY, ...)}
     * @throws E the task's own exception, unchanged, if no limit of this call was reached
     * @throws EngineUnavailableException if the engine cannot start
     */
    public static <T, E extends Exception> Result<T> limitGlobalMemory(Task<T, E> task) throws E {
        requireTask(task);
        return Engine.limitGlobalMemory(task);
    }

    /**
     * Sets the global memory limit in bytes, for all tasks under {@link #limitGlobalMemory}, now
     * and later; a negative value disables it. Default: -1 (disabled).
     *
     * @param bytes the limit, or any negative value to disable it
     */
    public static void setGlobalMemoryLimit(long bytes) {
        Engine.setGlobalMemoryLimit(bytes);
    }

    /** @return the global memory limit in bytes, or -1 if disabled */
    public static long globalMemoryLimit() {
        return Engine.globalMemoryLimit();
    }

    /**
     * Runs {@code task} under the threat of an interrupt once it has allocated more than
     * {@code limitBytes} bytes of heap. Deallocation does not count: this is a measure of work
     * done, steadier across machines and loads than elapsed time.
     *
     * <p>On platform threads the count is the JDK's exact per-thread counter: a task is never
     * interrupted before it has allocated more than the limit, and it is interrupted at the first
     * sample after that, one sampling interval later on average (the distance is exponentially
     * distributed: it exceeds {@code k} intervals with probability {@code e^-k}). On virtual
     * threads, which have no such counter, each sample counts one interval: the count is unbiased
     * but random, with a standard deviation of {@code sqrt(limit * interval)}, so a task can be
     * interrupted early; prefer limits of at least a hundred intervals there.
     *
     * <p>Nested calls charge both limits: an inner call can never extend the budget of an outer
     * one.
     *
     * @param limitBytes the limit in bytes, in [0, {@link #MAX_ALLOCATION_LIMIT}]
     * @param task the task, run in the calling thread
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return {@code Ok} with the value and the bytes allocated, or
     *         {@code Interrupted(ALLOCATIONS, ...)}
     * @throws IllegalArgumentException if {@code limitBytes} is outside its range
     * @throws E the task's own exception, unchanged, if no limit of this call was reached
     * @throws EngineUnavailableException if the engine cannot start
     */
    public static <T, E extends Exception> Result<Allocated<T>> limitAllocations(long limitBytes,
            Task<T, E> task) throws E {
        if (limitBytes < 0 || limitBytes > MAX_ALLOCATION_LIMIT) {
            throw new IllegalArgumentException("limitBytes = " + limitBytes + " is outside [0, "
                    + MAX_ALLOCATION_LIMIT + "] (MAX_ALLOCATION_LIMIT)");
        }
        requireTask(task);
        return Engine.limitAllocations(limitBytes, task);
    }

    /**
     * Runs {@code task} under the threat of an interrupt once {@code token} is set, by any
     * thread. If the token is already set, the task does not run and the result is
     * {@code Interrupted(TOKEN, ...)}. As in the seed, the token is this limit's flag: if it is
     * set before the task returns, the result is {@code Interrupted} even when no sample came
     * between the set and the return to raise the interrupt.
     *
     * @param token the token, not null
     * @param task the task, run in the calling thread
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return {@code Ok} with its value, or {@code Interrupted(TOKEN, ...)}
     * @throws NullPointerException if {@code token} or {@code task} is null
     * @throws E the task's own exception, unchanged, if no limit of this call was reached
     * @throws EngineUnavailableException if the engine cannot start
     */
    public static <T, E extends Exception> Result<T> limitWithToken(Token token, Task<T, E> task)
            throws E {
        if (token == null) {
            throw new NullPointerException("token must not be null");
        }
        requireTask(task);
        return Engine.limitWithToken(token.state, task);
    }

    /**
     * Runs {@code task} under a wall-clock time limit: once {@code limit} has passed since the
     * task started, it is interrupted - where it allocates, as by a token, and, if it runs
     * without allocating, from outside within a few milliseconds (see the class comment); if it
     * is blocked ({@code sleep}, {@code wait}, a lock, interruptible I/O) it is woken with
     * {@link Thread#interrupt()} and interrupted when it runs again. Like a token, the deadline
     * is the limit's flag: a task that returns after it gets {@code Interrupted} even if nothing
     * interrupted it. Nested limits each keep their own deadline, so an inner limit never extends
     * an outer one.
     *
     * <p>{@code Duration.ZERO} means the limit is reached before the task starts: it does not
     * run. Durations beyond 292 years are never reached.
     * <pre>{@code
     * Result<Report> r = MemprofLimits.limitTime(Duration.ofSeconds(2), () -> engine.evaluate(rules));
     * }</pre>
     *
     * @param limit the time the task may run, not negative
     * @param task the task, run in the calling thread
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return {@code Ok} with its value, or {@code Interrupted(TIME, ...)}
     * @throws NullPointerException if {@code limit} or {@code task} is null
     * @throws IllegalArgumentException if {@code limit} is negative
     * @throws E the task's own exception, unchanged, if no limit of this call was reached
     * @throws EngineUnavailableException if the engine cannot start
     */
    public static <T, E extends Exception> Result<T> limitTime(Duration limit, Task<T, E> task) throws E {
        long nanos = requireDuration(limit, "limit");
        requireTask(task);
        return Engine.limitTime(nanos, task);
    }

    /**
     * Runs {@code task} under a CPU-time limit: once the calling thread has used {@code limit}
     * of CPU time since the task started (user and system time, as
     * {@code ThreadMXBean.getCurrentThreadCpuTime} counts it), it is interrupted, as by
     * {@link #limitTime}. Time the task spends blocked or waiting for a processor does not
     * count. The engine reads the thread's CPU clock only when the budget could have been spent
     * (CPU time runs no faster than the wall clock), so an unreached limit costs nothing while
     * the task runs.
     *
     * <p>A virtual thread has no CPU clock in the JDK ({@code ThreadMXBean} answers -1 there):
     * on a virtual thread the wall-clock time since the task started counts instead, an upper
     * bound of its CPU time, so the task never gets more CPU than its budget but may be
     * interrupted before it used it all.
     * <pre>{@code
     * Result<Boolean> r = MemprofLimits.limitCpuTime(Duration.ofMillis(200), () -> pattern.matcher(input).matches());
     * }</pre>
     *
     * @param limit the CPU time the task may use, not negative
     * @param task the task, run in the calling thread
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return {@code Ok} with its value, or {@code Interrupted(CPU_TIME, ...)}
     * @throws NullPointerException if {@code limit} or {@code task} is null
     * @throws IllegalArgumentException if {@code limit} is negative
     * @throws UnsupportedOperationException if this JVM measures no thread CPU time
     * @throws E the task's own exception, unchanged, if no limit of this call was reached
     * @throws EngineUnavailableException if the engine cannot start
     */
    public static <T, E extends Exception> Result<T> limitCpuTime(Duration limit, Task<T, E> task) throws E {
        long nanos = requireDuration(limit, "limit");
        requireTask(task);
        if (!java.lang.management.ManagementFactory.getThreadMXBean().isCurrentThreadCpuTimeSupported()) {
            throw new UnsupportedOperationException("limitCpuTime: this JVM does not measure thread CPU "
                    + "time (ThreadMXBean.isCurrentThreadCpuTimeSupported() is false); use limitTime");
        }
        return Engine.limitCpuTime(nanos, task);
    }

    /**
     * Whether the calling thread is being interrupted: true from the first interrupt of one of
     * its limits until that limit's function returns - even if the task swallowed the interrupt -
     * and as soon as a token guarding it is set. Use it in a catch-all handler so as not to
     * swallow an interrupt, and in a resource's release to roll back or poison shared state:
     * <pre>{@code
     * try {
     *     step();
     * } catch (Throwable t) {
     *     if (MemprofLimits.isInterrupted()) throw t;   // let the interrupt end the task
     *     recover(t);
     * }
     * }</pre>
     *
     * @return whether the calling thread is being interrupted
     */
    public static boolean isInterrupted() {
        return Engine.isInterrupted();
    }

    /**
     * Raises the calling thread's due interrupt here, if one is due: for code that allocates
     * nothing, which no sample ever stops.
     *
     * <p>Limits are checked at sampled allocations, so a loop that allocates nothing - a regular
     * expression backtracking ({@code java.util.regex} allocates nothing while it does), a scan
     * over a primitive array, arithmetic - runs on after its token is set. Call this in such a
     * loop (for regular expressions, wrap the input in an {@link InterruptibleCharSequence}).
     * It checks the thread's limits as a sample would - exact allocation counts on platform
     * threads, the token, the heap - and throws the interrupt if one is reached, with the same
     * guarantees: nothing is raised while the thread is {@linkplain Masking masked}, or under a
     * static initializer, a class loader or a call-site bootstrap (it is then due at the next
     * checkpoint or sample). Outside a task it does nothing. It costs a thread-local read when
     * no limit is active and a few tens of nanoseconds under limits: call it every thousand
     * iterations or so, not at every one.
     * <pre>{@code
     * long sum = 0;
     * for (int i = 0; i < data.length; i++) {
     *     if ((i & 0xFFF) == 0) {
     *         MemprofLimits.checkpoint();
     *     }
     *     sum += data[i];
     * }
     * }</pre>
     *
     * @throws Error the interrupt (a {@code LimitInterrupt}), if one of the calling thread's
     *         limits is reached and it may arise here
     */
    public static void checkpoint() {
        Engine.checkpoint();
    }

    /** The duration in nanoseconds, saturated at Long.MAX_VALUE; rejects null and negatives. */
    private static long requireDuration(Duration d, String name) {
        if (d == null) {
            throw new NullPointerException(name + " must not be null");
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " = " + d + " is negative; allowed: [0s, any]");
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException beyond) {
            return Long.MAX_VALUE;
        }
    }

    private static void requireTask(Task<?, ?> task) {
        if (task == null) {
            throw new NullPointerException("task must not be null");
        }
    }
}
