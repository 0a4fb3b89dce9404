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
    }
}
