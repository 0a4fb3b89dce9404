package org.memproflimits;

/**
 * Thrown by {@link Result#orElseThrow()} in the monitor when the task was interrupted by a limit.
 *
 * <p>It is an ordinary unchecked exception of the <em>monitor's</em> thread; the task itself
 * never sees it. Its cause is the exception that ended the task
 * ({@link Result.Interrupted#exception()}).
 *
 * <pre>{@code
 * try {
 *     String s = MemprofLimits.limitWithToken(token, this::render).orElseThrow();
 * } catch (TaskInterruptedException e) {
 *     respond(503, "stopped: " + e.limit());
 * }
 * }</pre>
 */
public final class TaskInterruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The limit that interrupted the task. */
    private final Limit limit;

    TaskInterruptedException(Limit limit, Throwable cause) {
        super("task interrupted: " + describe(limit), cause);
        this.limit = limit;
    }

    /** @return the limit that interrupted the task */
    public Limit limit() {
        return limit;
    }

    static String describe(Limit limit) {
        switch (limit) {
            case GLOBAL_MEMORY: return "global memory limit reached";
            case ALLOCATIONS: return "allocation limit reached";
            default: return "token set";
        }
    }
}
