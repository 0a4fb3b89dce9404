package org.memproflimits.internal;

/**
 * The interrupt the engine raises inside a limited task.
 *
 * <p>An {@code Error}, so that {@code catch (Exception e)} in the task does not swallow it; and
 * private to the library, so that nobody matches on it: whether a task was interrupted is decided
 * by the limit's own flag, never by the type of whatever exception ended the task.
 */
public final class LimitInterrupt extends Error {
    private static final long serialVersionUID = 1L;

    /** @param what which limit fired, or why the interrupt was made */
    public LimitInterrupt(String what) {
        super("memprof-limits: " + what);
    }
}
