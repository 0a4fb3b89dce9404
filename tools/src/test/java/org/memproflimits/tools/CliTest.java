package org.memproflimits.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner as a user meets it: a child JVM per case, its exit status, its stderr lines and
 * the files it writes. The programs are the fixtures in target/test-classes, which the runner
 * loads through -cp (its own class path does not have them).
 */
class CliTest {
    private static final String FIXTURES = "org.memproflimits.tools.fixtures.";

    @TempDir
    Path dir;

    /** Exit status, stdout and stderr of one run of the runner. */
    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run memprof(String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String runnerClassPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseG1GC"));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-cp", runnerClassPath, Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("memprof-cli", ".out");
        Path err = Files.createTempFile("memprof-cli", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {          // a hang guard, not a timing assertion
                p.destroyForcibly().waitFor();
                throw new AssertionError("memprof " + String.join(" ", args) + " did not end within 180 s:\n"
                        + Files.readString(err));
            }
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static String fixtures() {
        return Path.of("target", "test-classes").toAbsolutePath().toString();
    }

    // ------------------------------------------------------------------ command line

    @Test
    void usageErrorsExitWith2() throws Exception {
        Run unknown = memprof("profile", "--bogus", "-cp", fixtures(), FIXTURES + "Churn");
        assertEquals(2, unknown.status(), unknown.toString());
        assertTrue(unknown.err().startsWith("memprof: unknown option --bogus for 'profile'\nUsage:"), unknown.toString());

        Run size = memprof("run", "--alloc-limit", "64x", "-cp", fixtures(), FIXTURES + "Churn");
        assertEquals(2, size.status(), size.toString());
        assertTrue(size.err().contains("--alloc-limit: '64x' is not a size"), size.toString());

        Run missing = memprof("run", "-cp", fixtures(), FIXTURES + "Missing");
        assertEquals(2, missing.status(), missing.toString());
        assertTrue(missing.err().contains("main class " + FIXTURES + "Missing not found"), missing.toString());
        assertEquals("", missing.out());
    }

    @Test
    void argumentsAfterMainGoToTheProgramAndItsClassesComeFromCp() throws Exception {
        Run r = memprof("run", "-cp", fixtures(), FIXTURES + "Echo", "a", "--help", "-x", "b c");
        assertEquals(0, r.status(), r.toString());
        assertEquals("a|--help|-x|b c\nloader child\n", r.out());
    }

    // ------------------------------------------------------------------ profile

    @Test
    void profileWritesAnHtmlFlameGraph() throws Exception {
        Path html = dir.resolve("churn.html");
        Run r = memprof("profile", "--interval", "64k", "--out", html.toString(), "-cp", fixtures(), FIXTURES + "Churn");
        assertEquals(0, r.status(), r.toString());
        assertEquals("churned\n", r.out());
        assertTrue(r.err().contains("memprof: wrote " + html + ": allocations of Churn: about "), r.toString());
        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>"), page.substring(0, 100));
        assertTrue(page.contains("<canvas id='canvas'>"));
        assertTrue(page.contains("Allocations of Churn"));
        List<String> names = FlameGraphHtmlTest.names(page);
        assertTrue(names.contains(FIXTURES + "Churn.churn"), "the allocating method is a frame");
        assertTrue(names.contains("byte[]"), "the allocated class is a frame");
        assertTrue(page.contains("+ ' bytes';"), "tooltips count bytes");
        assertFalse(names.stream().anyMatch(n -> n.startsWith("org.memproflimits.tools.")
                && !n.startsWith(FIXTURES)), "no runner frames under main: " + names);
    }

    @Test
    void profileWritesCollapsedStacksRootFirst() throws Exception {
        Path txt = dir.resolve("churn.txt");
        Run r = memprof("profile", "--interval", "64k", "--out", txt.toString(), "-cp", fixtures(), FIXTURES + "Churn");
        assertEquals(0, r.status(), r.toString());
        List<String> lines = Files.readAllLines(txt);
        String site = FIXTURES + "Churn.main;" + FIXTURES + "Churn.churn;byte[] ";
        long churn = lines.stream().filter(l -> l.startsWith(site))
                .mapToLong(l -> Long.parseLong(l.substring(site.length()))).sum();
        // 200,000 arrays of 1016 bytes: 203 MB. At 64 KiB, about 3,100 samples: sd 1.8%, 6.11 sd 11%.
        assertEquals(203_200_000, churn, 0.11 * 203_200_000, String.join("\n", lines));
        for (String l : lines) {
            assertTrue(l.matches("\\S.* \\d+"), l);
        }
    }

    @Test
    void profileWritesJfrEvents() throws Exception {
        Path jfr = dir.resolve("churn.jfr");
        Run r = memprof("profile", "--interval", "64k", "--out", jfr.toString(), "-cp", fixtures(), FIXTURES + "Churn");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().contains("memprof: wrote " + jfr + ": "), r.toString());
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals(AllocationSampleEvent.NAME)).toList();
        assertTrue(events.size() > 1000, "events: " + events.size());
        long churnWeight = 0;
        for (RecordedEvent e : events) {
            assertTrue(e.getLong("weight") > 0);
            assertTrue(e.getLong("allocationSize") > 0);
            if ("[B".equals(e.getClass("objectClass").getName())          // JFR names classes in binary form
                    && String.valueOf(e.getString("site")).startsWith(FIXTURES + "Churn.churn(Churn.java:")) {
                churnWeight += e.getLong("weight");
                assertEquals("main", e.getThread().getJavaName());
                List<String> methods = e.getStackTrace().getFrames().stream()
                        .map(RecordedFrame::getMethod).map(m -> m.getType().getName() + "." + m.getName()).toList();
                assertTrue(methods.contains(FIXTURES + "Churn.churn"), methods.toString());
            }
        }
        assertEquals(203_200_000, churnWeight, 0.11 * 203_200_000);
    }

    @Test
    void profileLiveShowsWhatWasHeldAtThePeak() throws Exception {
        Path txt = dir.resolve("live.txt");
        Run r = memprof("profile", "--live", "--interval", "64k", "--out", txt.toString(), "-cp", fixtures(),
                FIXTURES + "Holder");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.err().contains("live heap of Holder at its peak after a collection"), r.toString());
        String site = FIXTURES + "Holder.main;" + FIXTURES + "Holder.hold;byte[] ";
        long held = Files.readAllLines(txt).stream().filter(l -> l.startsWith(site))
                .mapToLong(l -> Long.parseLong(l.substring(site.length()))).sum();
        // Statistical. 256 arrays of s = 256 KiB + 16 bytes, after Holder.takeASample: each is
        // sampled independently with probability p = 1 - e^(-s/64 KiB) and a sample weighs
        // w = round(s/p) = 267,050 bytes, so with M ~ Binomial(256, q = e^-4.0002) arrays missed
        // the estimate is exactly (256 - M) * w: at most 1.87% above the exact bytes (M = 0), and
        // 7.5% lies between the estimates at M = 23 (-7.29%) and M = 24 (-7.69%). It fails
        // exactly when M >= 24: P = sum over k >= 24 of C(256, k) q^k (1-q)^(256-k) = 1.1e-10
        // (false failure; the mean of M is 4.7; summed exactly, as in ProfileTrackersTest).
        long exact = 256L * (256 * 1024 + 16);
        assertEquals(exact, held, 0.075 * exact, Files.readString(txt));
    }

    @Test
    void profileWhenMainThrowsExits1AndStillWrites() throws Exception {
        Path txt = dir.resolve("fails.txt");
        Run r = memprof("profile", "--out", txt.toString(), "-cp", fixtures(), FIXTURES + "Fails");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("Exception in thread \"main\" java.lang.IllegalStateException: fixture failure"),
                r.toString());
        assertTrue(Files.exists(txt));
    }

    @Test
    void profileWhenTheProgramCallsSystemExitKeepsItsStatusAndWrites() throws Exception {
        Path txt = dir.resolve("exits.txt");
        Run r = memprof("profile", "--interval", "64k", "--out", txt.toString(), "-cp", fixtures(), FIXTURES + "Exits");
        assertEquals(7, r.status(), r.toString());
        assertTrue(r.err().contains("memprof: wrote " + txt), r.toString());
        assertTrue(Files.readString(txt).contains("Churn.churn;byte[]"));
    }

    @Test
    void profileWaitsForTheProgramsOtherThreads() throws Exception {
        Path txt = dir.resolve("spawner.txt");
        Run r = memprof("profile", "--interval", "64k", "--out", txt.toString(), "-cp", fixtures(), FIXTURES + "Spawner");
        assertEquals(0, r.status(), r.toString());
        assertEquals("worker done\n", r.out());
        assertTrue(Files.readString(txt).contains(FIXTURES + "Spawner.work;long[]"), Files.readString(txt));
    }

    // ------------------------------------------------------------------ run

    @Test
    void runWithoutReachingALimitExits0() throws Exception {
        Run r = memprof("run", "--alloc-limit", "1g", "--heap-limit", "200m", "--timeout", "10m",
                "-cp", fixtures(), FIXTURES + "Churn");
        assertEquals(0, r.status(), r.toString());
        assertEquals("churned\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void runWhenMainThrowsExits1() throws Exception {
        Run r = memprof("run", "--alloc-limit", "1g", "-cp", fixtures(), FIXTURES + "Fails");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("Exception in thread \"main\" java.lang.IllegalStateException: fixture failure"),
                r.toString());
    }

    @Test
    void allocationLimitExits3() throws Exception {
        Run r = memprof("run", "--alloc-limit", "64m", "-cp", fixtures(), FIXTURES + "Forever");
        assertEquals(3, r.status(), r.toString());
        assertEquals("memprof: allocation limit reached: the main thread of " + FIXTURES + "Forever allocated "
                + "more than 64m (67108864 bytes); stopped\n", r.err());
    }

    @Test
    void heapLimitExits4() throws Exception {
        Run r = memprof("run", "--heap-limit", "64m", "-cp", fixtures(), FIXTURES + "Hoarder");
        assertEquals(4, r.status(), r.toString());
        assertEquals("memprof: heap limit reached: the heap held more than 64m (67108864 bytes) of live data; "
                + FIXTURES + "Hoarder stopped\n", r.err());
    }

    @Test
    void timeoutExits5EvenForABlockedProgram() throws Exception {
        Run busy = memprof("run", "--timeout", "300ms", "-cp", fixtures(), FIXTURES + "Forever");
        assertEquals(5, busy.status(), busy.toString());
        assertEquals("memprof: timeout: " + FIXTURES + "Forever was still running after 300ms; stopped\n", busy.err());

        Run blocked = memprof("run", "--timeout", "300ms", "-cp", fixtures(), FIXTURES + "Sleeper");
        assertEquals(5, blocked.status(), blocked.toString());
        assertTrue(blocked.err().startsWith("memprof: timeout: "), blocked.toString());
    }

    @Test
    void timeoutStopsAMainThatNeverAllocates() throws Exception {
        Run r = memprof("run", "--timeout", "300ms", "-cp", fixtures(), FIXTURES + "Spinner");
        assertEquals(5, r.status(), r.toString());
        assertEquals("memprof: timeout: " + FIXTURES + "Spinner was still running after 300ms; stopped\n", r.err());
    }

    @Test
    void timeoutEndsAMainThatSwallowsTheInterrupt() throws Exception {
        Run r = memprof("run", "--timeout", "300ms", "-cp", fixtures(), FIXTURES + "Swallower");
        assertEquals(5, r.status(), r.toString());
        assertEquals("memprof: timeout: " + FIXTURES + "Swallower did not stop 1s after its timeout of 300ms; exiting\n",
                r.err());
    }

    @Test
    void timeoutEndsAProgramWhoseThreadsRunOnAfterMain() throws Exception {
        Run r = memprof("run", "--timeout", "300ms", "-cp", fixtures(), FIXTURES + "Abandoner");
        assertEquals(5, r.status(), r.toString());
        assertEquals("memprof: timeout: " + FIXTURES + "Abandoner returned, but its other threads were still running "
                + "1s after its timeout of 300ms; exiting\n", r.err());
    }

    @Test
    void aProgramThatEndsBeforeItsTimeoutIsNotReportedStopped() throws Exception {
        Run r = memprof("run", "--timeout", "1h", "-cp", fixtures(), FIXTURES + "Quick");
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err());
    }

    @Test
    void onlyTheLimitReachedIsReported() throws Exception {
        Run r = memprof("run", "--alloc-limit", "32m", "--heap-limit", "200m", "--timeout", "1h",
                "-cp", fixtures(), FIXTURES + "Forever");
        assertEquals(3, r.status(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
    }
}
