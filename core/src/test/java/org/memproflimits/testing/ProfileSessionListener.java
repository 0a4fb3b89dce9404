package org.memproflimits.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.memproflimits.AllocationProfile;
import org.memproflimits.Memprof;
import org.memproflimits.Profile;

/**
 * Runs the whole test session under an allocation profile when the system property
 * {@value #PROPERTY} is {@code true} (core/pom.xml's {@code with-profile} execution), so that the
 * suite checks that limits behave the same with a profile running.
 *
 * <p>The profile samples every {@value #INTERVAL} bytes with {@value #CALLSTACK} frames into an
 * {@link AllocationProfile}; it starts when the launcher session opens, before any test class,
 * and stops when it closes. Tests of the profiler itself, which must start their own profile,
 * {@linkplain #pause() pause} it and {@linkplain #resume() resume} it afterwards.
 */
public final class ProfileSessionListener implements LauncherSessionListener {
    public static final String PROPERTY = "memproflimits.test.profile";
    public static final long INTERVAL = 64 * 1024;
    public static final int CALLSTACK = 8;

    private static final Object LOCK = new Object();
    private static AllocationProfile tracker;
    private static Profile profile;
    private static boolean paused;

    /** @return whether this JVM's tests run under the session profile */
    public static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    /** @return the running session profile, or null */
    public static Profile profile() {
        synchronized (LOCK) {
            return profile != null && profile.isRunning() ? profile : null;
        }
    }

    /** @return the session profile's tracker, or null if there is none */
    public static AllocationProfile tracker() {
        synchronized (LOCK) {
            return tracker;
        }
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (enabled()) {
            synchronized (LOCK) {
                tracker = new AllocationProfile();
                profile = Memprof.start(INTERVAL, CALLSTACK, tracker);
            }
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        synchronized (LOCK) {
            if (profile != null && profile.isRunning()) {
                Memprof.stop();
                profile.discard();
                if (profile.trackerFailure() != null) {
                    System.err.println("memprof-limits test session profile: the tracker failed");
                    profile.trackerFailure().printStackTrace();
                }
            }
        }
    }

    /**
     * Stops the session profile, if it runs, so that a test can start its own.
     *
     * @return whether it was running
     */
    public static boolean pause() {
        synchronized (LOCK) {
            if (profile != null && profile.isRunning()) {
                Memprof.stop();
                profile.discard();
                paused = true;
                return true;
            }
            return false;
        }
    }

    /** Starts the session profile again (same tracker) if {@link #pause()} stopped it. */
    public static void resume() {
        synchronized (LOCK) {
            if (paused) {
                paused = false;
                profile = Memprof.start(INTERVAL, CALLSTACK, tracker);
            }
        }
    }
}
