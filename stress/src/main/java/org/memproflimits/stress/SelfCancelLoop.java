package org.memproflimits.stress;

import java.util.concurrent.locks.LockSupport;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Token;

/**
 * Not a jcstress test: the standalone loop of {@code scripts/deopt-crash.sh} (see
 * {@code stress/findings/README.md}, finding 1). Two threads run tasks under
 * {@code limitWithToken} that set their own token and then allocate 32 KiB, so that the
 * compiled {@code Token.set} path deoptimizes now and then while samples fall everywhere.
 *
 * <p>Usage: {@code SelfCancelLoop <tasks per thread>}.
 */
public final class SelfCancelLoop {
    private SelfCancelLoop() {
    }

    public static void main(String[] args) throws InterruptedException {
        long tasks = args.length > 0 ? Long.parseLong(args[0]) : 300_000;
        Thread[] threads = new Thread[2];
        for (int k = 0; k < threads.length; k++) {
            boolean parks = k == 0;
            threads[k] = new Thread(() -> {
                long interrupted = 0;
                for (long i = 0; i < tasks; i++) {
                    Token token = new Token();
                    Result<Long> r = MemprofLimits.limitWithToken(token, () -> {
                        if (parks) {
                            LockSupport.parkNanos(1000);
                        }
                        token.set();
                        return Work.allocate();
                    });
                    interrupted += r.isOk() ? 0 : 1;
                    Thread.interrupted();
                }
                System.out.println(Thread.currentThread().getName() + ": " + tasks + " tasks, "
                        + interrupted + " interrupted");
            }, "self-cancel-" + k);
            threads[k].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.println(deoptimizationGuard());
    }

    /** The shim's count of samples it dropped inside a deoptimization (internal, read reflectively). */
    private static String deoptimizationGuard() {
        try {
            Class<?> sampler = Class.forName("org.memproflimits.internal.NativeSampler");
            java.lang.reflect.Method armed = sampler.getDeclaredMethod("guardsDeoptimization");
            java.lang.reflect.Method dropped = sampler.getDeclaredMethod("droppedInDeoptimization");
            armed.setAccessible(true);
            dropped.setAccessible(true);
            return "deoptimization guard " + ((Boolean) armed.invoke(null) ? "armed" : "NOT ARMED")
                    + ": " + dropped.invoke(null) + " samples dropped inside a deoptimization";
        } catch (ReflectiveOperationException e) {
            return "deoptimization guard: cannot be read (" + e + ")";
        }
    }
}
