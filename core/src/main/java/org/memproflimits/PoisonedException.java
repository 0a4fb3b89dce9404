package org.memproflimits;

/**
 * Thrown when reading or updating a {@link Guarded} state that an earlier update left
 * inconsistent: that update was interrupted, or threw, and the state had no rollback.
 *
 * <pre>{@code
 * try {
 *     int n = sessions.read(Map::size);
 * } catch (PoisonedException e) {
 *     sessions.recover(new HashMap<>());      // start again from a known-good state
 * }
 * }</pre>
 */
public final class PoisonedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PoisonedException(String message, Throwable cause) {
        super(message, cause);
    }
}
