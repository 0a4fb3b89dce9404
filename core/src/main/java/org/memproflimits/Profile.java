package org.memproflimits;

import org.memproflimits.internal.Profiler;

/**
 * A profiling session started by {@link Memprof#start}.
 *
 * <pre>{@code
 * Profile p = Memprof.start(64 * 1024, 16, tracker);
 * try {
 *     runWorkload();
 * } finally {
 *     Memprof.stop();
 * }
 * p.discard();                           // no more onFree calls
 * }</pre>
 */
public final class Profile {
    final Profiler profiler;

    Profile(Profiler profiler) {
        this.profiler = profiler;
    }

    /** @return whether the profile is sampling (started and not stopped) */
    public boolean isRunning() {
        return profiler.isRunning();
    }

    /** @return the sampling interval of the profile, in bytes */
    public long samplingInterval() {
        return profiler.interval();
    }

    /** @return the number of samples reported to the tracker so far */
    public long samples() {
        return profiler.samples();
    }

    /**
     * @return the first exception the tracker threw, or {@code null}; a tracker that throws is
     *         not called again, and the profile goes on counting samples
     */
    public Throwable trackerFailure() {
        return profiler.failure();
    }

    /**
     * Stops the {@code onFree} calls for objects the profile tracks.
     *
     * @throws IllegalStateException if the profile is still running: stop it first
     */
    public void discard() {
        profiler.discard();
    }
}
