package org.memproflimits.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a body in a new thread - a virtual one by reflection (this code compiles for 17). */
public final class InThread {
    private InThread() {
    }

    /** Runs {@code body}, waits up to {@code minutes} for it, and returns its value or rethrows. */
    public static <T> T call(boolean virtual, String name, long minutes, Callable<T> body) throws Exception {
        AtomicReference<T> value = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable run = () -> {
            try {
                value.set(body.call());
            } catch (Throwable t) {
                failure.set(t);
            }
        };
        Thread t;
        if (virtual) {
            t = (Thread) Thread.class.getMethod("startVirtualThread", Runnable.class).invoke(null, run);
        } else {
            t = new Thread(run, name);
            t.setDaemon(true);
            t.start();
        }
        t.join(TimeUnit.MINUTES.toMillis(minutes));
        assertFalse(t.isAlive(), "the task did not stop within " + minutes + " min");
        if (failure.get() instanceof Exception e) {
            throw e;
        } else if (failure.get() instanceof Error e) {
            throw e;
        }
        return value.get();
    }
}
