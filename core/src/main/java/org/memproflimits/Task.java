package org.memproflimits;

/**
 * A computation run under a limit: a {@code Callable} that may throw one checked exception type.
 *
 * <p>The limit functions of {@link MemprofLimits} run a task in the calling thread and let the
 * task's own exceptions propagate unchanged, checked ones through {@code throws E}.
 *
 * <pre>{@code
 * Task<String, java.io.IOException> read = () -> java.nio.file.Files.readString(path);
 * Result<String> r = MemprofLimits.limitGlobalMemory(read);   // throws IOException
 * }</pre>
 *
 * @param <T> what the task returns
 * @param <E> the checked exception it may throw ({@code RuntimeException} if none)
 */
@FunctionalInterface
public interface Task<T, E extends Exception> {
    /**
     * Runs the computation.
     *
     * @return its value
     * @throws E the task's own failure
     */
    T run() throws E;
}
