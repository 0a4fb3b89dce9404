package org.memproflimits.tools;

import java.io.PrintStream;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;
import org.memproflimits.Token;

/**
 * {@code run}: runs the program's main thread under the limits given; exits by the outcome.
 *
 * <p>The timeout is a token set when it expires: the main thread is interrupted wherever it
 * runs, allocating or not (the library's outside stop). It is reported only if the program had
 * not ended by then. A program that does not end {@link #GRACE_MILLIS} after its timeout - its
 * main thread swallows the interrupt, or its other threads run on after main returned - is ended
 * with {@code Runtime.halt} and the timeout status, after one line that says which.
 */
final class RunCommand {
    /** How long after the timeout a program still running is ended by halting the JVM. */
    static final long GRACE_MILLIS = 1000;

    private RunCommand() {
    }

    static int run(Options o, PrintStream err) throws UsageException {
        Program program = Program.load(o);
        if (o.intervalGiven) {
            MemprofLimits.setSamplingInterval(o.interval);
        }
        if (o.timeout != null && System.getProperty("org.memproflimits.outsideStop") == null) {
            // the timeout must stop a main that never allocates: the opt-in outside stop
            System.setProperty("org.memproflimits.outsideStop", "true");
        }
        MemprofLimits.start();
        if (o.heapLimit >= 0) {
            if (o.heapLimit >= Runtime.getRuntime().maxMemory()) {
                err.println("memprof: warning: --heap-limit " + Units.size(o.heapLimit) + " is not below the "
                        + "maximum heap (" + Units.approx(Runtime.getRuntime().maxMemory())
                        + "); the JVM may run out of memory first (raise -Xmx)");
            }
            MemprofLimits.setGlobalMemoryLimit(o.heapLimit);
        }

        // Flags, not a list: recording a reached limit must not allocate, since an outer limit
        // reached at the same sample would interrupt the allocation.
        boolean[] reached = new boolean[Limit.values().length];
        Task<Void, Exception> task = () -> {
            try {
                program.invoke();
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new UndeclaredThrowableException(t);
            }
            return null;
        };
        if (o.allocLimit >= 0) {
            Task<Void, Exception> inner = task;
            task = () -> {
                if (!MemprofLimits.limitAllocations(o.allocLimit, inner).isOk()) {
                    reached[Limit.ALLOCATIONS.ordinal()] = true;
                }
                return null;
            };
        }
        if (o.heapLimit >= 0) {
            Task<Void, Exception> inner = task;
            task = () -> {
                if (!MemprofLimits.limitGlobalMemory(inner).isOk()) {
                    reached[Limit.GLOBAL_MEMORY.ordinal()] = true;
                }
                return null;
            };
        }
        ScheduledExecutorService timer = null;
        if (o.timeout != null) {
            Token token = new Token();
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "memprof-timeout");
                t.setDaemon(true);
                return t;
            });
            Task<Void, Exception> main = task;
            Task<Void, Exception> inner = () -> {
                try {
                    return main.run();
                } finally {
                    // allocation-free: whether the timeout came before the program's end
                    endedAfterTimeout = token.isSet();
                    mainEnded = true;
                }
            };
            task = () -> {
                Result<Void> r = MemprofLimits.limitWithToken(token, inner);
                if (!r.isOk() && (endedAfterTimeout || !mainEnded)) {
                    reached[Limit.TOKEN.ordinal()] = true;
                }
                return null;
            };
            timer.schedule(token::set, o.timeout.toNanos(), TimeUnit.NANOSECONDS);
            timer.schedule(() -> endAfterGrace(o, err), o.timeout.toMillis() + GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }

        boolean threw = false;
        try {
            task.run();
        } catch (Throwable t) {
            Main.printUncaught(t instanceof UndeclaredThrowableException u && u.getCause() != null ? u.getCause() : t, err);
            threw = true;
        }

        // One line per limit reached; the status is the first reached in this order.
        int status = Main.OK;
        if (reached[Limit.ALLOCATIONS.ordinal()]) {
            err.println("memprof: allocation limit reached: the main thread of " + o.mainClass
                    + " allocated more than " + Units.size(o.allocLimit) + " (" + o.allocLimit + " bytes); stopped");
            status = Main.ALLOCATION_LIMIT;
        }
        if (reached[Limit.GLOBAL_MEMORY.ordinal()]) {
            err.println("memprof: heap limit reached: the heap held more than " + Units.size(o.heapLimit)
                    + " (" + o.heapLimit + " bytes) of live data; " + o.mainClass + " stopped");
            status = status == Main.OK ? Main.HEAP_LIMIT : status;
        }
        if (reached[Limit.TOKEN.ordinal()]) {
            err.println("memprof: timeout: " + o.mainClass + " was still running after "
                    + Units.duration(o.timeout) + "; stopped");
            status = status == Main.OK ? Main.TIMEOUT : status;
        }
        if (status != Main.OK) {
            if (timer != null) {
                timer.shutdownNow();
            }
            return status;                 // the program was stopped: its other threads end with the JVM
        }
        try {
            Program.awaitNonDaemonThreads();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (timer != null) {
            timer.shutdownNow();           // before the grace ends: the program ended by itself
        }
        return threw ? Main.PROGRAM_FAILED : Main.OK;
    }

    private static volatile boolean mainEnded;
    private static volatile boolean endedAfterTimeout;

    /** On the timer, the grace after the timeout: a program still running is ended here. */
    private static void endAfterGrace(Options o, PrintStream err) {
        String what = mainEnded
                ? o.mainClass + " returned, but its other threads were still running "
                : o.mainClass + " did not stop ";
        err.println("memprof: timeout: " + what + Units.duration(java.time.Duration.ofMillis(GRACE_MILLIS))
                + " after its timeout of " + Units.duration(o.timeout) + "; exiting");
        err.flush();
        Runtime.getRuntime().halt(Main.TIMEOUT);
    }
}
