package org.memproflimits;

import java.util.Objects;
import java.util.function.Function;

/**
 * The outcome of a task run under a limit: {@link Ok} with its value, or {@link Interrupted}.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@code Interrupted} is produced <em>if and only if</em> an interrupt arose in this task
 *       because this call's limit was reached. Any other exception of the task propagates from
 *       the limit function unchanged.</li>
 *   <li>A task that catches the interrupt and returns normally anyway still yields
 *       {@code Interrupted}: the decision rests on the limit's own flag, never on the exception's
 *       type, which the task may have wrapped or replaced.</li>
 *   <li>A limit reached in another thread, even one the task started, never yields
 *       {@code Interrupted} here.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Result<Integer> r = MemprofLimits.limitAllocations(64 << 20, () -> parse(input))
 *                                  .map(Allocated::value);
 * if (r instanceof Result.Ok<Integer> ok) {
 *     use(ok.value());
 * } else if (r instanceof Result.Interrupted<Integer> i) {
 *     log("stopped by " + i.limit());   // on JDK 21+, a switch over the two records works too
 * }
 * }</pre>
 *
 * @param <T> the task's value type
 */
public sealed interface Result<T> permits Result.Ok, Result.Interrupted {

    /**
     * The task returned {@code value} and no limit of this call was reached.
     *
     * @param value what the task returned (may be {@code null})
     * @param <T> the task's value type
     */
    record Ok<T>(T value) implements Result<T> {
    }

    /**
     * The task was interrupted because {@code limit} was reached.
     *
     * @param limit the limit of this call that was reached
     * @param exception what ended the task: usually the library's private interrupt, but it may
     *        be any exception that replaced it while the task unwound; do not rely on its type
     * @param <T> the task's value type
     */
    record Interrupted<T>(Limit limit, Throwable exception) implements Result<T> {
        /**
         * @param limit the limit reached, not null
         * @param exception what ended the task, not null
         */
        public Interrupted {
            Objects.requireNonNull(limit, "limit");
            Objects.requireNonNull(exception, "exception");
        }
    }

    /** @return whether the task completed without reaching its limit */
    default boolean isOk() {
        return this instanceof Ok;
    }

    /**
     * @return the value of an {@link Ok} result
     * @throws TaskInterruptedException if the task was interrupted; its cause is
     *         {@link Interrupted#exception()}
     */
    default T orElseThrow() {
        if (this instanceof Ok<T> ok) {
            return ok.value();
        }
        Interrupted<T> i = (Interrupted<T>) this;
        throw new TaskInterruptedException(i.limit(), i.exception());
    }

    /**
     * @param other the value to use if the task was interrupted
     * @return the task's value, or {@code other} if it was interrupted
     */
    default T orElse(T other) {
        return this instanceof Ok<T> ok ? ok.value() : other;
    }

    /**
     * Transforms the value of an {@code Ok}; an {@code Interrupted} result is passed on.
     *
     * @param f the transformation, run in the caller's thread and outside any limit
     * @param <U> the new value type
     * @return the transformed result
     */
    default <U> Result<U> map(Function<? super T, ? extends U> f) {
        Objects.requireNonNull(f, "f");
        if (this instanceof Ok<T> ok) {
            return new Ok<>(f.apply(ok.value()));
        }
        Interrupted<T> i = (Interrupted<T>) this;
        return new Interrupted<>(i.limit(), i.exception());
    }
}
