package org.memproflimits.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Wakes tasks that are blocked when their token is set, with {@link Thread#interrupt()} - but
 * only where an interrupt cannot poison JVM-global state.
 *
 * <p>A blocked task allocates nothing, so no sample will interrupt it; the thread's interrupt
 * status is the only way to reach it. But an interrupt that lands while the thread runs a static
 * initializer or a class loader that sleeps or does interruptible I/O fails that initialization
 * or loading, for the JVM's lifetime. So the waker, a daemon thread, looks before it interrupts:
 * the thread must be blocked - waiting, or in a native method of an NIO channel - with no
 * {@code <clinit>}, class loading, linkage or masked-package frame on its stack, and not masked;
 * the look and the interrupt happen under the owner's wake lock, which masking takes too. A task
 * that is not in such a state is looked at again a millisecond later, until its scope ends: a
 * task running Java code is the sampler's, and one that blocks later, or swallows the interrupt
 * and blocks again, is woken then.
 */
final class TokenWaker {
    private static final Set<LimitScope.TokenLimit> PENDING = ConcurrentHashMap.newKeySet();
    private static final Object START_LOCK = new Object();
    private static Thread thread;

    private TokenWaker() {
    }

    static void add(LimitScope.TokenLimit scope) {
        PENDING.add(scope);
        synchronized (START_LOCK) {
            if (thread == null) {
                thread = new Thread(TokenWaker::run, "memprof-limits token waker");
                thread.setDaemon(true);
                thread.start();
            }
        }
        LockSupport.unpark(thread);
    }

    private static void run() {
        while (true) {
            if (PENDING.isEmpty()) {
                LockSupport.park(TokenWaker.class);
                continue;
            }
            PENDING.removeIf(scope -> scope.owner.tryWake(scope));
            LockSupport.parkNanos(TokenWaker.class, TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Whether an interrupt may land in a thread blocked with this stack. */
    static boolean isSafeToInterrupt(StackTraceElement[] stack) {
        for (StackTraceElement f : stack) {
            String m = f.getMethodName();
            if (m.equals("<clinit>") || m.equals("loadClass") || m.equals("findClass")
                    || m.startsWith("defineClass")
                    || f.getClassName().equals("java.lang.invoke.MethodHandleNatives")
                    || RaiseSafety.isInMaskedPackage(f.getClassName())) {
                return false;
            }
        }
        return true;
    }
}
