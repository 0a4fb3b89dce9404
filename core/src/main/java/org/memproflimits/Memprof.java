package org.memproflimits;

import java.util.Objects;
import org.memproflimits.internal.Engine;
import org.memproflimits.internal.Profiler;

/**
 * An allocation profiler that shares the heap sampler with the limits.
 *
 * <h2>What it is</h2>
 * The JVM has one heap sampling interval for the whole VM, so a second sampler (another agent,
 * async-profiler's allocation mode) would fight the limits over it. This profiler runs on the
 * limits' own sampler instead: a profile may sample more often than the limits' interval (the
 * sampler then runs at the profile's interval while it runs), never less often.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>One profile at a time; {@link #start} while one runs, or {@link #stop} while none runs,
 *       throws {@link IllegalStateException}.</li>
 *   <li>Limits keep their accuracy while a profile runs: exact counts are unaffected, estimated
 *       ones (virtual threads) weigh each sample by the interval in force.</li>
 *   <li>The tracker never makes a limit fire inside it; masked allocations, and the sample at
 *       which a limit interrupts, are not reported.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * java.util.concurrent.atomic.LongAdder bytes = new java.util.concurrent.atomic.LongAdder();
 * Profile p = Memprof.start(64 * 1024, 0, a -> { bytes.add(a.weight()); return null; });
 * try {
 *     runWorkload();
 * } finally {
 *     Memprof.stop();
 * }
 * System.out.println("about " + bytes.sum() + " bytes allocated");
 * }</pre>
 */
public final class Memprof {
    /** The largest callstack size a profile may ask for. */
    public static final int MAX_CALLSTACK_SIZE = 1024;

    private Memprof() {
    }

    /**
     * Starts profiling (and the engine, if needed).
     *
     * @param samplingIntervalBytes the average bytes between samples, in [1024, the limits'
     *        {@linkplain MemprofLimits#samplingInterval() sampling interval}]
     * @param callstackSize frames to capture per sample, in [0, {@value #MAX_CALLSTACK_SIZE}]
     * @param tracker what to do with samples, not null
     * @param <T> what the tracker keeps per tracked object
     * @return the profile
     * @throws IllegalArgumentException if an argument is outside its range
     * @throws IllegalStateException if a profile is already running
     * @throws EngineUnavailableException if the engine cannot start
     */
    public static <T> Profile start(long samplingIntervalBytes, int callstackSize, Tracker<T> tracker) {
        Objects.requireNonNull(tracker, "tracker must not be null");
        long max = MemprofLimits.samplingInterval();
        if (samplingIntervalBytes < Engine.MIN_SAMPLING_INTERVAL || samplingIntervalBytes > max) {
            throw new IllegalArgumentException("samplingIntervalBytes = " + samplingIntervalBytes
                    + " is outside [" + Engine.MIN_SAMPLING_INTERVAL + ", " + max + "]: a profile may "
                    + "sample more often than the limits' interval (" + max + " bytes), never less");
        }
        if (callstackSize < 0 || callstackSize > MAX_CALLSTACK_SIZE) {
            throw new IllegalArgumentException("callstackSize = " + callstackSize + " is outside [0, "
                    + MAX_CALLSTACK_SIZE + "]");
        }
        return new Profile(Profiler.start(samplingIntervalBytes, callstackSize, tracker));
    }

    /**
     * Stops the running profile: no more {@code onAlloc} calls; {@code onFree} calls go on until
     * the profile is {@linkplain Profile#discard() discarded}. The sampler returns to the limits'
     * interval.
     *
     * @throws IllegalStateException if no profile is running
     */
    public static void stop() {
        Profiler.stopCurrent();
    }
}
