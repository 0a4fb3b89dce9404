package org.memproflimits.stress;

import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.memproflimits.Task;
import org.memproflimits.Token;
import org.openjdk.jcstress.infra.results.IZZ_Result;

/** What the stress tests' tasks do, and how their results are encoded. */
final class Work {
    /**
     * Outcome codes: the task returned Ok; was Interrupted by its token after it started; threw
     * or was Interrupted by another limit; was Interrupted without running (token already set).
     */
    static final int OK = 0;
    static final int TOKEN = 1;
    static final int OTHER = 2;
    static final int TOKEN_BEFORE_START = 3;

    static volatile Object sink;

    private Work() {
    }

    /** Allocates about 32 KiB in small pieces: several samples at the stress scripts' interval. */
    static long allocate() {
        long n = 0;
        for (int i = 0; i < 32; i++) {
            byte[] b = new byte[1024];
            sink = b;
            n += b.length;
        }
        return n;
    }

    static int code(Result<?> r) {
        if (r instanceof Result.Ok) {
            return OK;
        }
        return ((Result.Interrupted<?>) r).limit() == Limit.TOKEN ? TOKEN : OTHER;
    }

    /** As {@link #code(Result)}, telling apart a task that never ran. */
    static int code(Result<?> r, boolean ran) {
        int c = code(r);
        return c == TOKEN && !ran ? TOKEN_BEFORE_START : c;
    }

    /**
     * Runs {@code body} under {@code limitWithToken(token)} and records (outcome code, the token
     * seen set after the call, the interrupt status after the call - read and cleared, so that
     * the harness's thread stays clean).
     */
    static void underToken(Token token, Task<?, RuntimeException> body, IZZ_Result r) {
        try {
            boolean[] ran = {false};
            Result<?> res = MemprofLimits.limitWithToken(token, () -> {
                ran[0] = true;
                return body.run();
            });
            r.r1 = code(res, ran[0]);
        } catch (Throwable t) {
            r.r1 = OTHER;
        }
        r.r2 = token.isSet();
        r.r3 = Thread.interrupted();
    }

    /** A few microseconds of work, so that a setter often lands while the task runs. */
    static void delay() {
        for (int i = 0; i < 300; i++) {
            Thread.onSpinWait();
        }
    }
}
