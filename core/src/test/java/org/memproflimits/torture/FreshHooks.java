package org.memproflimits.torture;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The few things fresh classes (package {@code fresh}, defined anew by each {@link FreshLoader})
 * share with the torture: they are loaded by the test's own loader, so every fresh class sees
 * the same ones.
 */
public final class FreshHooks {
    /** LinkageErrors (BootstrapMethodError, NoClassDefFoundError, ExceptionInInitializerError...)
     *  seen by fresh code while it ran; counted without allocating. */
    static final AtomicLong LINKAGE_FAILURES = new AtomicLong();
    static final AtomicReference<Throwable> FIRST_LINKAGE_FAILURE = new AtomicReference<>();
    /** Static initializers that completed (every fresh class counts its own). */
    static final AtomicLong INITIALIZERS_RUN = new AtomicLong();

    /** Whether {@code fresh.IoInit}'s initializer reads a file through NIO (an interruptible channel). */
    static volatile boolean ioInInitializer;
    /** Whether {@code fresh.SleepyInit}'s initializer sleeps (and turns InterruptedException into an error). */
    static volatile boolean sleepInInitializer;
    static volatile Path configFile;

    private FreshHooks() {
    }

    /** Called by the static initializer of {@code fresh.Entry}: hands its instance to its loader. */
    public static void publish(FreshWork entry) {
        ((FreshLoader) entry.getClass().getClassLoader()).entry = entry;
    }

    /** Called by every fresh class's static initializer when it completes. */
    public static void initialized() {
        INITIALIZERS_RUN.incrementAndGet();
    }

    /** Called by fresh code when it sees a LinkageError; allocation-free. */
    public static void linkageFailure(Throwable t) {
        LINKAGE_FAILURES.incrementAndGet();
        FIRST_LINKAGE_FAILURE.compareAndSet(null, t);
    }

    public static boolean ioInInitializer() {
        return ioInInitializer;
    }

    public static boolean sleepInInitializer() {
        return sleepInInitializer;
    }

    public static Path configFile() {
        return configFile;
    }
}
