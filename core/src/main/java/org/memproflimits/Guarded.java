package org.memproflimits;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * State shared between tasks, whose updates never leave it half-done for others to see: after
 * Rust's poisoned {@code Mutex}.
 *
 * <h2>What it is</h2>
 * A {@code Guarded} holds one mutable object behind a lock. {@link #update} runs a function on it
 * as a masked resource: taking the lock is masked, the function itself is interruptible, and the
 * release - masked, so it always completes - looks at how the function ended. If it returned, the
 * update stands. If it threw (an interrupt, or any other exception), the state may be half
 * updated, so the release either restores the snapshot taken before the update
 * ({@link #withRollback}) or marks the state <em>poisoned</em> ({@link #poisonOnFailure}), and
 * every later {@code read} or {@code update} throws {@link PoisonedException} instead of handing
 * out corrupt data, until {@link #recover} installs a fresh state.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Readers and updaters are mutually exclusive; the lock is always released.</li>
 *   <li>No caller ever sees the state of an update that did not complete: it sees the state
 *       from before, or a {@code PoisonedException}.</li>
 *   <li>Rollback and poisoning run masked: they cannot themselves be interrupted.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Guarded<Map<String, Integer>> counts = Guarded.withRollback(new HashMap<>(), HashMap::new);
 * MemprofLimits.limitAllocations(1 << 20, () -> counts.update(m -> {
 *     for (String w : words) m.merge(w, 1, Integer::sum);   // interrupted midway? rolled back
 *     return null;
 * }));
 * }</pre>
 *
 * @param <S> the state's type
 */
public final class Guarded<S> {
    private final ReentrantLock lock = new ReentrantLock();
    private final UnaryOperator<S> snapshot;
    private S state;
    private Throwable poisonedBy;

    private Guarded(S state, UnaryOperator<S> snapshot) {
        this.state = Objects.requireNonNull(state, "state");
        this.snapshot = snapshot;
    }

    /**
     * A state that is poisoned when an update fails.
     *
     * @param state the initial state, not null
     * @param <S> its type
     * @return the guarded state
     */
    public static <S> Guarded<S> poisonOnFailure(S state) {
        return new Guarded<>(state, null);
    }

    /**
     * A state that is rolled back when an update fails: {@code copy} takes a snapshot before
     * each update (a deep enough copy that the update cannot change it).
     *
     * @param state the initial state, not null
     * @param copy makes the snapshot, not null; runs masked, keep it cheap
     * @param <S> its type
     * @return the guarded state
     */
    public static <S> Guarded<S> withRollback(S state, UnaryOperator<S> copy) {
        return new Guarded<>(state, Objects.requireNonNull(copy, "copy"));
    }

    /**
     * Runs {@code f} on the state, exclusively; rolls back or poisons if {@code f} throws.
     *
     * @param f the update; it may mutate the state in place
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return what {@code f} returned
     * @throws PoisonedException if the state is poisoned
     * @throws E what {@code f} threw (after rollback or poisoning)
     */
    public <T, E extends Exception> T update(Masking.Scope<? super S, ? extends T, ? extends E> f)
            throws E {
        Objects.requireNonNull(f, "f");
        return Masking.withResource(this::begin, u -> {
            T value = f.apply(state);
            u.completed = true;                 // no allocation between f's return and here
            return value;
        }, Update::end);
    }

    /**
     * Runs {@code f} on the state, exclusively, for reading.
     *
     * @param f the read; it should not mutate the state
     * @param <T> its value type
     * @param <E> its checked exception type
     * @return what {@code f} returned
     * @throws PoisonedException if the state is poisoned
     * @throws E what {@code f} threw
     */
    public <T, E extends Exception> T read(Masking.Scope<? super S, ? extends T, ? extends E> f)
            throws E {
        Objects.requireNonNull(f, "f");
        return Masking.withResource(() -> {
            lock.lock();
            try {
                checkNotPoisoned();
            } catch (PoisonedException e) {
                lock.unlock();
                throw e;
            }
            return state;
        }, f, s -> lock.unlock());
    }

    /** @return whether an update failed and left the state poisoned */
    public boolean isPoisoned() {
        lock.lock();
        try {
            return poisonedBy != null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces the state with {@code fresh} and clears the poison.
     *
     * @param fresh the new state, not null
     */
    public void recover(S fresh) {
        Objects.requireNonNull(fresh, "fresh");
        Masking.mask(() -> {
            lock.lock();
            try {
                state = fresh;
                poisonedBy = null;
            } finally {
                lock.unlock();
            }
            return null;
        });
    }

    private void checkNotPoisoned() {
        if (poisonedBy != null) {
            throw new PoisonedException("the guarded state is poisoned: an update of it did not "
                    + "complete (" + poisonedBy + "); call recover(...) to replace it", poisonedBy);
        }
    }

    private Update<S> begin() {
        lock.lock();
        try {
            checkNotPoisoned();
            return new Update<>(this, snapshot == null ? null : snapshot.apply(state));
        } catch (RuntimeException | Error e) {
            lock.unlock();
            throw e;
        }
    }

    /** One update in progress: what to restore, and whether the function completed. */
    private static final class Update<S> {
        final Guarded<S> owner;
        final S before;
        boolean completed;

        Update(Guarded<S> owner, S before) {
            this.owner = owner;
            this.before = before;
        }

        /** Runs masked, once: commit, roll back or poison, then unlock. */
        void end() {
            try {
                if (!completed) {
                    if (owner.snapshot != null) {
                        owner.state = before;
                    } else {
                        owner.poisonedBy = new PoisonedException("update did not complete"
                                + (MemprofLimits.isInterrupted() ? " (the task was interrupted)" : ""), null);
                    }
                }
            } finally {
                owner.lock.unlock();
            }
        }
    }
}
