package org.memproflimits.internal;

import java.util.concurrent.ConcurrentHashMap;
import org.memproflimits.Allocated;
import org.memproflimits.EngineUnavailableException;
import org.memproflimits.Limit;
import org.memproflimits.Result;
import org.memproflimits.Task;

/**
 * The memprof-limits engine: the one place where interrupts are decided. Internal; the public
 * API is {@code org.memproflimits.MemprofLimits} and {@code Masking}.
 */
public final class Engine {

    /*
     * Overview
     *
     * Where an interrupt is decided. HotSpot's heap sampler (JEP 331) picks allocations at random,
     * on average one per sampling interval of bytes allocated by a thread, and posts JVMTI's
     * SampledObjectAlloc in the allocating thread, after the object exists. The native shim turns
     * that event into one JNI call of onSample, below, which returns the interrupt to raise or
     * null. Nothing else decides: the shim only bridges. onSample looks the thread up in ACTIVE,
     * the threads that have limits or masks; a thread absent from it pays one map lookup.
     * Otherwise ThreadLimits.onSample walks the thread's stack of limit scopes (innermost
     * first), marks as reached every scope whose limit is exceeded now - the heap over the global
     * limit, the allocation clock past the budget, the token set - and, if any scope is reached,
     * asks RaiseSafety whether this allocation is a place to raise.
     *
     * Where it is raised. The shim makes the returned exception pending with JNI Throw while the
     * VM is still inside the allocation, so it unwinds from the allocating bytecode exactly as an
     * OutOfMemoryError would, through paths every allocation site already has (compiled frames
     * are deoptimised by the VM's allocation stubs). No asynchronous exception is installed, so
     * nothing is delivered later at an unrelated point, and the thread's interrupt status is
     * never touched.
     *
     * Sticky flags, not exceptions. A scope's reached flag, once set, stays set until the scope's
     * limit function returns; every later unmasked, safe sample raises again. The limit function
     * decides Ok or Interrupted by that flag alone: an interrupt that the task swallowed, wrapped
     * or replaced still yields Interrupted, and an exception that arose in a scope that was never
     * reached propagates unchanged. This is the seed's "iff" guarantee. Nested scopes are all
     * checked at each sample, so an inner limit can never extend an outer one: an allocation
     * scope's budget is capped at what the enclosing ones had left, and when the inner scope's
     * interrupt ends it, the outer scope has been marked at the same sample and is interrupted
     * in turn.
     *
     * What is masked. A thread's maskDepth is positive during the engine's own bookkeeping (the
     * scope push and pop around every task) and inside Masking's acquire and release. A sample
     * taken while masked is dropped, not queued: flags stay set, and the next unmasked sample
     * raises. The windows between a task's end and the mask of its bookkeeping, and between a
     * resource's acquisition and its scope, contain no allocation, so no sample can fall there.
     *
     * What is never interrupted, and why. Static initializers, class loading and the VM's
     * linkage of call sites and constants (see RaiseSafety): an exception escaping them poisons
     * JVM-global state for the JVM's lifetime (an erroneous class, a recorded linkage error),
     * which is not the task's to lose. RaiseSafety recognises them by the Java frames on the
     * stack (<clinit>, ClassLoader, MethodHandleNatives), by the type of the sampled object (a
     * Class, a java.lang.invoke object) and by the allocating frame's bytecode (one that
     * allocates nothing once linked, such as invokedynamic or getstatic, means the VM is linking
     * for it). Native methods that allocate through JNI, which may not expect a pending
     * exception. The library's own code, and the JDK code it calls. Threads with no limit:
     * nothing is inherited by threads a task starts. Packages the user masked
     * (Masking.maskPackage: a library whose shared state does not survive an exception at any
     * allocation, such as an embedded database's storage engine), while any of their frames is
     * on the stack. There the interrupt is deferred to a later sample; it is never lost, because
     * the flag is sticky.
     *
     * Checkpoints. Code that allocates nothing is never sampled (java.util.regex backtracking,
     * say). The stopper (below) stops it from outside for token, time and CPU-time limits.
     * MemprofLimits.checkpoint, which InterruptibleCharSequence calls every 4096 characters read,
     * runs the same decision from the task's own code (ThreadLimits.atCheckpoint) and throws the
     * interrupt itself, for every kind of limit. The caller chose the place, so only the
     * JVM-global hazards and the masked packages defer it there (RaiseSafety.canRaiseAtCheckpoint).

     * Counting. On platform threads the allocation clock is the JDK's exact per-thread counter
     * (ThreadMXBean.getCurrentThreadAllocatedBytes, about 30 ns), read at samples only: a task is
     * never interrupted before it has allocated more than its limit, and the overshoot is the
     * distance to the next sample (one interval on average). Virtual threads have no such
     * counter; there each sample counts as one interval, an unbiased estimate.
     *
     * Outside stops and wake-ups. Token, time and CPU-time scopes (LimitScope.Stoppable) can be
     * found reached by other threads: a token's setter, the clock, the thread's CPU clock. The
     * Stopper enforces them from outside. Decided: by its coordinator, from the scope's limit
     * (reachedSeenFromOutside), then by the same hazard policy as samples - RaiseSafety's Walk,
     * fed the thread's frames through JVMTI (ThreadStack) - plus the mask depth. Arises: for a
     * blocked thread, as a Thread.interrupt (a wake-up: the blocking call throws, and the next
     * sample or checkpoint raises the interrupt proper); for a thread that runs without reaching
     * a sample for Stopper.GRACE_NANOS, as the interrupt itself, installed with JVMTI StopThread
     * while a worker holds the thread suspended, arising at the safepoint poll where it was
     * inspected. Deferred: by everything that defers a sample, while the thread is in native
     * code (Stopper.inNative), and at the top of the stack by
     * the JDK's own shared-state code and by any bytecode that may be inside the VM (RaiseSafety's
     * class comment); the stopper then looks again within 8 ms, until the scope ends. Time and
     * CPU-time scopes are also checked at samples and checkpoints, like the others; a thread
     * with no such scope never meets the stopper.
     *
     * Concurrency. A ThreadLimits and its scopes are written by their own thread - by its code,
     * or by the callback, which runs in that thread. Other threads read and write only what
     * ThreadLimits' and LimitScope.Stoppable's "Field access" notes list: the wake-up state,
     * under the owner's wake lock; the mask depth and the ended flag, read by a stopper worker
     * while the owner is suspended; the stopper's own scheduling fields. ACTIVE is a
     * ConcurrentHashMap because the callback reads it from every thread; only the owner adds or
     * removes its own entry, masked. Token flags and the global limit are volatile. The
     * callback never uses ThreadLocal, whose get may reorganise a map that the interrupted code
     * was in the middle of changing.
     */

    /**
     * Default heap sampling interval. Chosen from the data of docs/performance.md (section 5): a
     * sample costs about 0.25 µs of CPU in isolation and 0.5-0.7 µs in allocation-heavy code, so
     * at 128 KiB a thread allocating 1 GB/s pays about 0.5% for its samples while a token stops
     * it within 1 ms (p99); HotSpot's own 512 KiB misses that at 1 GB/s (p99 2.5 ms), and 64 KiB
     * would double the cost.
     */
    public static final long DEFAULT_SAMPLING_INTERVAL = 128 * 1024;
    public static final long MIN_SAMPLING_INTERVAL = 1024;
    public static final long MAX_SAMPLING_INTERVAL = 1L << 30;
    public static final String INTERVAL_PROPERTY = "org.memproflimits.samplingInterval";

    private static final ConcurrentHashMap<Thread, ThreadLimits> ACTIVE = new ConcurrentHashMap<>();
    private static final ThreadLocal<ThreadLimits> OWN = new ThreadLocal<>();
    private static final Object START_LOCK = new Object();
    private static final System.Logger LOG = System.getLogger("org.memproflimits");

    private static volatile boolean started;
    private static volatile long samplingInterval = -1;
    private static volatile long globalMemoryLimit = -1;
    /** The interval the sampler runs at now: the limits' one, or a profile's smaller one. */
    private static volatile long currentInterval = -1;

    private Engine() {
    }

    // ---------------------------------------------------------------- lifecycle and settings

    public static boolean isStarted() {
        return started;
    }

    public static void start() {
        if (started) {
            return;
        }
        synchronized (START_LOCK) {
            if (started) {
                return;
            }
            long interval = samplingInterval();
            NativeSampler.load();
            warmUp();
            String failure = NativeSampler.start(Engine.class, (int) interval);
            if (failure != null) {
                throw new EngineUnavailableException("memprof-limits: cannot start heap sampling: "
                        + failure, null);
            }
            HeapWatcher.start();
            Stopper.start();
            if (Boolean.getBoolean(Stopper.ENABLE_PROPERTY) && !Stopper.isAvailable()) {
                LOG.log(System.Logger.Level.WARNING, "memprof-limits: this JVM does not let the engine "
                        + "suspend and stop threads (JVMTI can_suspend, can_signal_thread): tokens, time "
                        + "and CPU-time limits stop tasks only where they allocate or call checkpoint()");
            }
            LOG.log(HeapWatcher.hasUnknownCollector() ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                    "memprof-limits: heap sampling every {0} bytes; global memory limit: {1}",
                    interval, HeapWatcher.description());
            samplingInterval = interval;
            currentInterval = interval;
            started = true;
        }
    }

    /**
     * Loads and links everything the sample callback runs, so that it never loads a class
     * itself: it may be called while the thread holds a class loading lock.
     */
    private static void warmUp() {
        ThreadLimits probe = new ThreadLimits(Thread.currentThread());
        // HotSpot resolves a class's string constants (allocating them in the requesting
        // thread) when it queues a method of that class for C2 (CompileBroker::compile_method).
        // A sample of those bytes between a task's end and pop's mask would mark an allocation
        // scope reached although the task allocated nothing (seen on ZGC: 1 task in 10^6, from
        // sun.management.ThreadImpl's strings when clock() ran there). clock() now runs masked,
        // in pop; pop, remask and enterMask still run unmasked at their entry: have C2 requested
        // for them, and for clock() and the JDK's counter, here, past the tier-4 thresholds
        // (sampling is not on yet, and ACTIVE is empty: nothing else sees these scopes).
        for (int i = 0; i < 50_000; i++) {
            probe.clock();
            LimitScope.Allocations scope = new LimitScope.Allocations(Long.MAX_VALUE);
            ThreadLimits self = push(scope);
            pop(self, scope);
        }
        // The callback itself, both ways: no limits (the profiler's path) and with limits. ACTIVE
        // is empty until start() returns: no scope can be pushed before.
        Thread self = Thread.currentThread();
        onSample(self, probe, Object.class, 16);
        ACTIVE.put(self, probe);
        try {
            onSample(self, probe, Object.class, 16);
        } finally {
            ACTIVE.remove(self);
        }
        probe.isInterrupted();
        RaiseSafety.canRaiseHere(Object.class);
        RaiseSafety.trimmed(new LimitInterrupt(ThreadLimits.describe(Limit.ALLOCATIONS)));
        HeapWatcher.isOverLimit(Long.MAX_VALUE);
        new LimitScope.GlobalMemory().exceeded(probe);
        new LimitScope.Allocations(0).exceeded(probe);
        new LimitScope.TokenLimit(new TokenState()).exceeded(probe);
        new LimitScope.Time(System.nanoTime()).exceeded(probe);
        LimitScope.CpuTime cpu = new LimitScope.CpuTime(0);
        cpu.begin(self);
        cpu.exceeded(probe);
        cpu.reachedSeenFromOutside(System.nanoTime());
        cpu.nextLook(System.nanoTime());
        probe.isInterrupted();
    }

    public static long samplingInterval() {
        long v = samplingInterval;
        if (v > 0) {
            return v;
        }
        String prop = System.getProperty(INTERVAL_PROPERTY);
        if (prop == null) {
            return DEFAULT_SAMPLING_INTERVAL;
        }
        long parsed;
        try {
            parsed = Long.parseLong(prop.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + INTERVAL_PROPERTY + "=" + prop
                    + " is not a number of bytes", e);
        }
        checkInterval(parsed, "system property " + INTERVAL_PROPERTY);
        return parsed;
    }

    public static void setSamplingInterval(long bytes) {
        checkInterval(bytes, "samplingIntervalBytes");
        synchronized (START_LOCK) {
            if (started && bytes != samplingInterval) {
                throw new IllegalStateException("samplingIntervalBytes: the engine is started with "
                        + samplingInterval + " bytes; the interval can only be set before start()");
            }
            samplingInterval = bytes;
        }
    }

    private static void checkInterval(long bytes, String name) {
        if (bytes < MIN_SAMPLING_INTERVAL || bytes > MAX_SAMPLING_INTERVAL) {
            throw new IllegalArgumentException(name + " = " + bytes + " is outside ["
                    + MIN_SAMPLING_INTERVAL + ", " + MAX_SAMPLING_INTERVAL + "] bytes");
        }
    }

    public static long globalMemoryLimit() {
        return globalMemoryLimit;
    }

    public static void setGlobalMemoryLimit(long bytes) {
        globalMemoryLimit = bytes < 0 ? -1 : bytes;
    }

    // ---------------------------------------------------------------- the sample callback

    /**
     * Called by the native shim at every heap sample of every thread. Returns the interrupt to
     * raise, or null. A running profile sees the samples that are neither masked nor raising.
     */
    static Throwable onSample(Thread thread, Object object, Class<?> klass, long size) {
        ThreadLimits limits = ACTIVE.get(thread);
        if (limits == null) {
            Profiler profile = Profiler.current();
            if (profile != null) {
                profile.onSample(thread, object, klass, size);
            }
            return null;
        }
        // What the callback allocates (stack walks, the interrupt, a profile's records) is not
        // the task's: measure it and keep it out of the thread's allocation clock.
        long before = limits.rawCounter();
        try {
            Throwable interrupt = limits.onSample(currentInterval, klass);
            if (interrupt != null || limits.maskDepth > 0) {
                return interrupt;
            }
            Profiler profile = Profiler.current();
            if (profile != null) {
                profile.onSample(thread, object, klass, size);
            }
            return null;
        } finally {
            limits.excludeCallbackSince(before);
        }
    }

    /** Switches the sampler to {@code interval} bytes, for a profile; under the profiler's lock. */
    static void setCurrentInterval(long interval) {
        int err = NativeSampler.setInterval((int) interval);
        if (err != 0) {
            throw new IllegalStateException("SetHeapSamplingInterval(" + interval + ") failed: JVMTI error " + err);
        }
        currentInterval = interval;
    }

    // ---------------------------------------------------------------- running tasks

    public static <T, E extends Exception> Result<T> limitGlobalMemory(Task<T, E> task) throws E {
        return run(new LimitScope.GlobalMemory(), task);
    }

    public static <T, E extends Exception> Result<T> limitWithToken(TokenState token,
            Task<T, E> task) throws E {
        start();
        if (token.isSet()) {
            return new Result.Interrupted<>(Limit.TOKEN,
                    new LimitInterrupt("token already set before starting the task"));
        }
        return run(new LimitScope.TokenLimit(token), task);
    }

    /** Runs {@code task} under a wall-clock limit of {@code nanos} (0: reached before it starts). */
    public static <T, E extends Exception> Result<T> limitTime(long nanos, Task<T, E> task) throws E {
        start();
        if (nanos <= 0) {
            return new Result.Interrupted<>(Limit.TIME,
                    new LimitInterrupt("time limit of 0 reached before starting the task"));
        }
        long now = System.nanoTime();
        long deadline = now + nanos;
        if (deadline - now < 0) {
            deadline = now + Long.MAX_VALUE;        // beyond 292 years: never, in effect
        }
        return run(new LimitScope.Time(deadline), task);
    }

    /** Runs {@code task} under a CPU-time limit of {@code nanos} (0: reached before it starts). */
    public static <T, E extends Exception> Result<T> limitCpuTime(long nanos, Task<T, E> task) throws E {
        start();
        if (nanos <= 0) {
            return new Result.Interrupted<>(Limit.CPU_TIME,
                    new LimitInterrupt("CPU time limit of 0 reached before starting the task"));
        }
        return run(new LimitScope.CpuTime(nanos), task);
    }

    public static <T, E extends Exception> Result<Allocated<T>> limitAllocations(long limit,
            Task<T, E> task) throws E {
        LimitScope.Allocations scope = new LimitScope.Allocations(limit);
        // pop reads the count, masked; the record is made outside the scope, not charged to the task.
        Result<T> r = run(scope, task);
        if (r instanceof Result.Ok<T> ok) {
            return new Result.Ok<>(new Allocated<>(ok.value(), scope.allocatedAtEnd));
        }
        Result.Interrupted<T> i = (Result.Interrupted<T>) r;
        return new Result.Interrupted<>(i.limit(), i.exception());
    }

    /** Runs {@code task} under {@code scope} in the calling thread; decides by the scope's flag. */
    private static <T, E extends Exception> Result<T> run(LimitScope scope, Task<T, E> task)
            throws E {
        start();
        ThreadLimits thread = push(scope);
        T value;
        try {
            value = task.run();
        } catch (Throwable failure) {
            if (pop(thread, scope)) {
                return new Result.Interrupted<>(scope.limit(), failure);
            }
            throw Engine.<RuntimeException>rethrow(failure);
        }
        if (pop(thread, scope)) {
            return new Result.Interrupted<>(scope.limit(),
                    new LimitInterrupt("task returned normally after its limit was reached"));
        }
        return new Result.Ok<>(value);
    }

    private static ThreadLimits push(LimitScope scope) {
        ThreadLimits thread = mask();
        try {
            scope.outer = thread.top;
            scope.interruptedBefore = thread.thread.isInterrupted();
            if (scope instanceof LimitScope.Allocations a) {
                a.owner = thread;
                a.budget = Math.min(a.limit, thread.remainingAllocationBudget());
                a.start = thread.clock();
            } else if (scope instanceof LimitScope.GlobalMemory g) {
                g.cohort = HeapWatcher.scopeStarted();
            } else if (scope instanceof LimitScope.Stoppable st) {
                st.owner = thread;
                thread.stoppableScopeStarted();
                if (st instanceof LimitScope.TokenLimit t) {
                    t.token.register(t);
                } else if (st instanceof LimitScope.Time t) {
                    Stopper.schedule(t, t.deadline);
                } else if (st instanceof LimitScope.CpuTime c) {
                    c.begin(thread.thread);
                    Stopper.schedule(c, System.nanoTime() + c.budget);
                }
            }
            thread.top = scope;
            thread.holds++;                     // the scope's hold, released by pop
        } finally {
            unmask(thread);
        }
        return thread;
    }

    /** Ends the scope; returns whether it was reached. Allocation-free until masked. */
    private static boolean pop(ThreadLimits thread, LimitScope scope) {
        remask(thread);
        try {
            if (scope instanceof LimitScope.Allocations a) {
                // Read masked: the JDK may allocate while it reads the counter (see warmUp), and a
                // sample of that must not mark the scope.
                a.allocatedAtEnd = a.allocated();
            }
            thread.top = scope.outer;
            thread.holds--;
            if (scope instanceof LimitScope.Stoppable st) {
                // Read before the scope ends: as in the seed, the token is the scope's flag -
                // set before the task returned means Interrupted even if no sample or stop came
                // after the set to raise it - and likewise a deadline passed or a budget spent.
                boolean reached = scope.reached || st.exceeded(thread);
                thread.stoppableScopeEnded(st);
                if (st instanceof LimitScope.TokenLimit t) {
                    t.token.unregister(t);
                } else {
                    Stopper.ended(st);
                }
                return reached;
            }
            if (scope instanceof LimitScope.GlobalMemory g) {
                HeapWatcher.scopeEnded(g.cohort);
            }
            return scope.reached;
        } finally {
            unmask(thread);
        }
    }

    @SuppressWarnings("unchecked")
    private static <X extends Throwable> X rethrow(Throwable t) throws X {
        throw (X) t;
    }

    // ---------------------------------------------------------------- masking

    /**
     * Masks interrupts in the calling thread and holds its state; returns the state for
     * {@link #unmask}. The state is created, and made visible to the callback, already masked.
     */
    public static ThreadLimits mask() {
        ThreadLimits thread = OWN.get();
        if (thread == null) {
            thread = new ThreadLimits(Thread.currentThread());
            thread.maskDepth = 1;
            thread.holds = 1;
            OWN.set(thread);
            ACTIVE.put(thread.thread, thread);
        } else {
            thread.enterMask();
            thread.holds++;
        }
        return thread;
    }

    /** Undoes one {@link #mask} or {@link #remask}; drops the state when nothing holds it. */
    public static void unmask(ThreadLimits thread) {
        if (thread.holds == 1) {
            ACTIVE.remove(thread.thread);       // still masked while it leaves the map
            OWN.remove();
        }
        thread.holds--;
        thread.exitMask();
    }

    /** Masks again, allocation-free, a thread whose state something still holds. */
    public static void remask(ThreadLimits thread) {
        thread.enterMask();
        thread.holds++;
    }

    /**
     * Lifts one level of mask but keeps the hold, for a resource's scope: acquire runs after
     * {@link #mask}, the scope after this, the release after {@link #remaskHeld}, and a final
     * {@link #unmask} releases the hold. Allocation-free, so no sample falls in between.
     */
    public static void unmaskKeepingHold(ThreadLimits thread) {
        thread.exitMask();
    }

    /**
     * As {@link #unmaskKeepingHold}, for a resource handed to the caller's try-with-resources
     * (Masking.acquire): between the return and the start of the try block nothing allocates,
     * so no sample falls there, but the thread may stop at a bytecode of that window, where an
     * outside stop would leak the resource. The flag tells the stopper to let the thread move
     * on first (Stopper's "Hand-offs").
     */
    public static void unmaskForHandoff(ThreadLimits thread) {
        thread.handoff = true;
        thread.exitMask();
    }

    /** Restores the mask level lifted by {@link #unmaskKeepingHold}; allocation-free. */
    public static void remaskHeld(ThreadLimits thread) {
        thread.enterMask();
    }

    public static boolean isMasked() {
        ThreadLimits thread = OWN.get();
        return thread != null && thread.maskDepth > 0;
    }

    public static boolean isInterrupted() {
        ThreadLimits thread = OWN.get();
        return thread != null && thread.isInterrupted();
    }

    public static boolean maskPackage(String name) {
        return RaiseSafety.maskPackage(name);
    }

    public static boolean unmaskPackage(String name) {
        return RaiseSafety.unmaskPackage(name);
    }

    public static java.util.Set<String> maskedPackages() {
        return RaiseSafety.maskedPackages();
    }

    /** Raises, in the caller, the interrupt due to the calling thread's limits, if any. */
    public static void checkpoint() {
        ThreadLimits thread = OWN.get();
        if (thread == null || thread.top == null) {
            return;
        }
        Throwable interrupt = thread.atCheckpoint();
        if (interrupt != null) {
            throw (LimitInterrupt) interrupt;
        }
    }

}
