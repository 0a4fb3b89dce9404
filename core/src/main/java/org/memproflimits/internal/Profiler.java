package org.memproflimits.internal;

import java.lang.ref.Cleaner;
import java.lang.StackWalker.StackFrame;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Stream;
import org.memproflimits.Allocation;
import org.memproflimits.Tracker;

/**
 * The running allocation profile, fed by {@link Engine#onSample} with the samples that neither
 * fall in masked code nor raise an interrupt. Tracked objects are watched by a {@link Cleaner},
 * whose thread calls {@code onFree}.
 */
public final class Profiler {
    private static final Object LOCK = new Object();
    private static volatile Profiler current;
    private static final StackWalker WALKER =
            StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private final long interval;
    private final int callstackSize;
    @SuppressWarnings("rawtypes")
    private final Tracker tracker;
    private final Cleaner cleaner;
    private final LongAdder samples = new LongAdder();
    private final Function<Stream<StackFrame>, List<StackTraceElement>> stackOf;
    private volatile boolean running = true;
    private volatile boolean discarded;
    private volatile Throwable failure;

    private Profiler(long interval, int callstackSize, Tracker<?> tracker) {
        this.interval = interval;
        this.callstackSize = callstackSize;
        this.tracker = tracker;
        this.cleaner = Cleaner.create();
        this.stackOf = new StackCapture(callstackSize);
    }

    public static Profiler start(long interval, int callstackSize, Tracker<?> tracker) {
        Engine.start();
        synchronized (LOCK) {
            if (current != null) {
                throw new IllegalStateException("Memprof.start: a profile is already running; "
                        + "call Memprof.stop() first");
            }
            Profiler p = new Profiler(interval, callstackSize, tracker);
            p.stackOf.apply(Stream.empty());        // link the capture before any sample
            WALKER.walk(p.stackOf);
            Engine.setCurrentInterval(interval);
            current = p;
            return p;
        }
    }

    public static void stopCurrent() {
        synchronized (LOCK) {
            Profiler p = current;
            if (p == null) {
                throw new IllegalStateException("Memprof.stop: no profile is running");
            }
            current = null;
            p.running = false;
            Engine.setCurrentInterval(Engine.samplingInterval());
        }
    }

    static Profiler current() {
        return current;
    }

    public boolean isRunning() {
        return running;
    }

    public long interval() {
        return interval;
    }

    public long samples() {
        return samples.sum();
    }

    public Throwable failure() {
        return failure;
    }

    public void discard() {
        if (running) {
            throw new IllegalStateException("Profile.discard: the profile is running; call Memprof.stop() first");
        }
        discarded = true;
    }

    /** One sample, in the allocating thread, not masked, not interrupting. */
    @SuppressWarnings("unchecked")
    void onSample(Thread thread, Object object, Class<?> klass, long size) {
        if (!running || failure != null) {
            return;
        }
        samples.increment();
        List<StackTraceElement> stack = callstackSize == 0 ? List.of() : WALKER.walk(stackOf);
        double p = -Math.expm1(-(double) size / interval);
        long weight = p > 0 ? Math.round(size / p) : interval;
        Object tracked;
        try {
            tracked = tracker.onAlloc(new Allocation(size, klass, thread, stack, weight));
        } catch (RuntimeException e) {
            failure = e;            // kept for Profile.trackerFailure(); the tracker is not called again
            return;
        }
        if (tracked != null) {
            cleaner.register(object, new Free(this, tracked));
        }
    }

    /** Calls onFree once the object is collected, unless the profile was discarded. */
    private static final class Free implements Runnable {
        private final Profiler profiler;
        private final Object tracked;

        Free(Profiler profiler, Object tracked) {
            this.profiler = profiler;
            this.tracked = tracked;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void run() {
            if (profiler.discarded || profiler.failure != null) {
                return;
            }
            try {
                profiler.tracker.onFree(tracked);
            } catch (RuntimeException e) {
                profiler.failure = e;
            }
        }
    }

    /** The allocating thread's innermost frames, below the engine's own. */
    private static final class StackCapture implements Function<Stream<StackFrame>, List<StackTraceElement>> {
        private static final String INTERNAL = Profiler.class.getPackageName();
        private final int size;

        StackCapture(int size) {
            this.size = size;
        }

        @Override
        public List<StackTraceElement> apply(Stream<StackFrame> frames) {
            List<StackTraceElement> out = new ArrayList<>(Math.min(size, 64));
            Iterator<StackFrame> it = frames.iterator();
            boolean atTop = true;
            while (it.hasNext() && out.size() < size) {
                StackFrame f = it.next();
                if (atTop && f.getDeclaringClass().getPackageName().equals(INTERNAL)) {
                    continue;
                }
                atTop = false;
                out.add(f.toStackTraceElement());
            }
            return Collections.unmodifiableList(out);
        }
    }
}
