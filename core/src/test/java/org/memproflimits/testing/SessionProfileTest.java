package org.memproflimits.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Profile;
import org.memproflimits.ProfileSnapshot;
import org.memproflimits.Result;

/** The session profile of the with-profile execution is there, samples, and leaves limits alone. */
class SessionProfileTest {
    private static volatile Object sink;

    @Test
    void sessionProfileRunsExactlyWhenAsked() {
        Profile p = ProfileSessionListener.profile();
        if (!ProfileSessionListener.enabled()) {
            assertNull(p, "no session profile without -D" + ProfileSessionListener.PROPERTY + "=true");
            return;
        }
        assertNotNull(p, "the listener did not start the session profile; is it registered in "
                + "META-INF/services/org.junit.platform.launcher.LauncherSessionListener?");
        assertTrue(p.isRunning());
        assertEquals(ProfileSessionListener.INTERVAL, p.samplingInterval());
        long before = p.samples();
        Result<Allocated<Object>> r = MemprofLimits.limitAllocations(1L << 30, () -> {
            for (int i = 0; i < 10_000; i++) {
                sink = new byte[1000];
            }
            return null;
        });
        assertTrue(r.isOk());
        assertTrue(p.samples() > before, "10 MB allocated, yet no sample");
        ProfileSnapshot s = ProfileSessionListener.tracker().snapshot();
        assertTrue(s.totalSamples() > 0);
        assertTrue(s.bytesByType().containsKey("byte[]"), s.bytesByType().toString());
        assertNull(p.trackerFailure());
    }
}
