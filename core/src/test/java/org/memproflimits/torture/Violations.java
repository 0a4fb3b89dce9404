package org.memproflimits.torture;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Broken invariants, by kind. Recording one from inside a limited task is safe: the count is
 * taken first, without allocating; the detail (which allocates) is best effort.
 */
final class Violations {
    enum Kind {
        STALE_INTERRUPT_FLAG_AT_TASK_START("the thread's interrupt status was set when a task started"),
        INTERRUPT_FLAG_AFTER_LIMIT("the interrupt status was set after the limit function returned"),
        MASK_LEFT_AFTER_TASK("Masking.isBlocked() was true after a task"),
        IS_INTERRUPTED_AFTER_TASK("MemprofLimits.isInterrupted() was true after the limit function returned"),
        STATE_BEFORE_TASK("Masking.isBlocked() or MemprofLimits.isInterrupted() was true before a task"),
        UNEXPECTED_EXCEPTION_ESCAPED("a limit function threw something else than the torture's own exceptions"),
        LINKAGE_ERROR("a LinkageError (BootstrapMethodError, NoClassDefFoundError, ExceptionInInitializerError...) arose"),
        WRONG_LIMIT_KIND("Interrupted named a limit the call did not have"),
        TOKEN_INTERRUPTED_BUT_NOT_SET("Interrupted(TOKEN) for a token that is not set"),
        ALLOCATIONS_INTERRUPTED_UNDER_LIMIT("Interrupted(ALLOCATIONS) before the task allocated more than its limit"),
        PRESET_TOKEN_TASK_RAN("a task under an already-set token ran"),
        PRESET_TOKEN_NOT_INTERRUPTED("a task under an already-set token was not Interrupted"),
        NEVER_SET_TOKEN_INTERRUPTED("a task under a token that was never set, with no other limit, was Interrupted"),
        SWALLOWED_INTERRUPT_BUT_OK("a task swallowed the library's interrupt and then got Ok"),
        RELEASE_COUNT("an acquired resource was not released exactly once"),
        FAILED_ACQUIRE_RELEASED("a resource whose acquisition failed was released"),
        NOT_MASKED_IN_ACQUIRE_OR_RELEASE("acquire or release ran unmasked"),
        INTERRUPT_SEEN_IN_MASKED_CODE("masked code saw the interrupt status set, or an InterruptedException"),
        LOCK_HELD_AFTER_TASK("a ReentrantLock was still held by the worker after its task"),
        MONITOR_HELD_AFTER_TASK("a monitor was still held by the worker after its task"),
        NESTED_ESCAPE("an inner limit function threw something else than own exceptions while no outer limit was interrupting"),
        CATCH_ALL_UNEXPECTED("a catch-all handler caught something unexpected while MemprofLimits.isInterrupted() was false"),
        GUARDED_INCONSISTENT("a Guarded state was neither consistent nor poisoned"),
        FRESH_CLASS_BROKEN("calling a freshly loaded class again, outside limits, failed"),
        POOL_LEAK("a resource pool's in-use count is not 0 after the run"),
        LOCK_LOCKED_AFTER_RUN("a ReentrantLock is locked (or has waiters) after the run"),
        MONITOR_NOT_ENTERABLE("another thread could not enter a monitor after the run"),
        ENGINE_NOT_INTERRUPTING("the final task under limitAllocations(1 MiB), allocating forever, was not Interrupted"),
        STALL("no task completed for the stall period (a hang); thread dump printed"),
        HARNESS("the harness itself failed");

        final String meaning;

        Kind(String meaning) {
            this.meaning = meaning;
        }
    }

    private static final int KINDS = Kind.values().length;
    private final AtomicLongArray counts = new AtomicLongArray(KINDS);
    private final AtomicReferenceArray<Throwable> first = new AtomicReferenceArray<>(KINDS);
    private final ConcurrentLinkedQueue<String> details = new ConcurrentLinkedQueue<>();
    private final AtomicInteger detailCount = new AtomicInteger();

    void record(Kind kind, String detail, Throwable t) {
        counts.incrementAndGet(kind.ordinal());
        if (t != null) {
            first.compareAndSet(kind.ordinal(), null, t);
        }
        if (detail != null && detailCount.incrementAndGet() <= 60) {
            details.add(kind + ": " + detail);
        }
    }

    long total() {
        long n = 0;
        for (int i = 0; i < KINDS; i++) {
            n += counts.get(i);
        }
        return n;
    }

    long count(Kind kind) {
        return counts.get(kind.ordinal());
    }

    /** @return one line per kind seen, then the details, then the first stack trace of each kind */
    String report() {
        List<String> lines = new ArrayList<>();
        for (Kind k : Kind.values()) {
            long n = counts.get(k.ordinal());
            if (n > 0) {
                lines.add(String.format("  %-40s %8d  (%s)", k, n, k.meaning));
            }
        }
        if (!details.isEmpty()) {
            lines.add("  details (first " + details.size() + "):");
            for (String d : details) {
                lines.add("    " + d);
            }
        }
        for (Kind k : Kind.values()) {
            Throwable t = first.get(k.ordinal());
            if (t != null) {
                StringWriter w = new StringWriter();
                t.printStackTrace(new PrintWriter(w));
                String trace = w.toString();
                if (trace.length() > 6000) {
                    trace = trace.substring(0, 6000) + "\n...";
                }
                lines.add("  first " + k + ":\n" + trace.indent(4));
            }
        }
        return String.join("\n", lines);
    }

    /** Walks cause and suppressed exceptions; true if a LinkageError is among them. */
    static Throwable findLinkageError(Throwable t) {
        return findLinkageError(t, 0);
    }

    private static Throwable findLinkageError(Throwable t, int depth) {
        if (t == null || depth > 20) {
            return null;
        }
        if (t instanceof LinkageError) {
            return t;
        }
        Throwable c = findLinkageError(t.getCause(), depth + 1);
        if (c != null) {
            return c;
        }
        for (Throwable s : t.getSuppressed()) {
            c = findLinkageError(s, depth + 1);
            if (c != null) {
                return c;
            }
        }
        return null;
    }
}
