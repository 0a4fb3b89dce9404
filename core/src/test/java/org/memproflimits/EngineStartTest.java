package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Starting the engine: {@link MemprofLimits#start()} is idempotent and thread-safe, and every
 * limit function starts the engine itself.
 *
 * <p>The engine starts once per JVM and never stops, so the tests that need an engine that is not
 * started run in child JVMs ({@link Child}), one per check; the tests of this JVM run in order.
 * Nothing here is statistical.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EngineStartTest {
    private static final String PROPERTY = "org.memproflimits.samplingInterval";

    @Test
    @Order(1)
    void notStartedAtFirstWithTheDefaultInterval() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                org.memproflimits.testing.ProfileSessionListener.enabled(),
                "this test sets up the engine itself; under the session profile (with-profile) the engine is already started");
        assertFalse(MemprofLimits.isStarted(), "started before anything asked for it");
        assertEquals(128 * 1024, MemprofLimits.samplingInterval());
    }

    @Test
    @Order(2)
    void samplingIntervalPropertyIsReadAndCheckedBeforeStart() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                org.memproflimits.testing.ProfileSessionListener.enabled(),
                "this test sets up the engine itself; under the session profile (with-profile) the engine is already started");
        try {
            System.setProperty(PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, MemprofLimits::samplingInterval);
            assertTrue(e.getMessage().contains(PROPERTY) && e.getMessage().contains("lots"), e.getMessage());
            // start() fails the same way and leaves nothing started.
            assertThrows(IllegalArgumentException.class, MemprofLimits::start);
            assertFalse(MemprofLimits.isStarted());

            System.setProperty(PROPERTY, "1023");
            e = assertThrows(IllegalArgumentException.class, MemprofLimits::samplingInterval);
            assertTrue(e.getMessage().contains(PROPERTY) && e.getMessage().contains("[1024, 1073741824]"), e.getMessage());

            System.setProperty(PROPERTY, " 65536 ");
            assertEquals(65536, MemprofLimits.samplingInterval());
        } finally {
            System.clearProperty(PROPERTY);
        }
        assertEquals(128 * 1024, MemprofLimits.samplingInterval());
        assertFalse(MemprofLimits.isStarted());
    }

    @Test
    @Order(3)
    void aLimitFunctionStartsTheEngine() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                org.memproflimits.testing.ProfileSessionListener.enabled(),
                "this test sets up the engine itself; under the session profile (with-profile) the engine is already started");
        assertFalse(MemprofLimits.isStarted());
        Result<String> r = MemprofLimits.limitWithToken(new Token(), () -> "ran");
        assertEquals("ran", r.orElseThrow());
        assertTrue(MemprofLimits.isStarted());
    }

    @Test
    @Order(4)
    void startIsIdempotent() throws Exception {
        MemprofLimits.start();
        MemprofLimits.start();
        assertTrue(MemprofLimits.isStarted());
        assertEquals(128 * 1024, MemprofLimits.samplingInterval());
        // Concurrently, too.
        List<Throwable> failures = race(8, MemprofLimits::start);
        assertEquals(List.of(), failures);
        assertTrue(MemprofLimits.isStarted());
        // And the engine works.
        assertEquals("ok", MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT, () -> "ok").orElseThrow().value());
    }

    // ------------------------------------------------------------------------------------ child JVMs

    @Test
    @Order(5)
    void eachLimitFunctionStartsTheEngineInAFreshJvm() throws Exception {
        for (String mode : new String[] {"limitAllocations", "limitGlobalMemory", "limitWithToken", "raceStart"}) {
            assertEquals("OK " + mode, runChild(mode), mode);
        }
    }

    /**
     * Fails: limitWithToken with a token already set returns Interrupted(TOKEN) without starting
     * the engine, although start() says "every limit function calls it" and limitWithToken is
     * documented to throw EngineUnavailableException if the engine cannot start.
     */
    @Test
    @Order(6)
    void limitWithAnAlreadySetTokenStartsTheEngineToo() throws Exception {
        assertEquals("OK limitWithSetToken", runChild("limitWithSetToken"));
    }

    @Test
    @Order(7)
    void engineThatCannotLoadItsLibraryIsLeftUnstartedAndCanStartLater() throws Exception {
        assertEquals("OK badLibrary", runChild("badLibrary"));
    }

    /**
     * The sample callback never loads a class: it may run while its thread holds a class loading
     * or jar file lock, and loading a class there deadlocked two threads in a jcstress run (each
     * holding one of those locks, each loading a class from its callback). Everything it runs is
     * loaded by start(). Checked in a fresh JVM that logs class loading: after start() returns,
     * samples on every path of the callback (no limit; limits armed; an interrupt raised) load no
     * class of the engine.
     */
    @Test
    @Order(8)
    void theSampleCallbackLoadsNoClassAfterStart() throws Exception {
        String out = runChildOutput("callbackPaths", "-Xlog:class+load=info:stdout:uptime");
        int started = out.indexOf("CALLBACK-PATHS-STARTED");
        int done = out.indexOf("CALLBACK-PATHS-DONE");
        assertTrue(started >= 0 && done > started, "child output:\n" + out);
        List<String> loaded = new ArrayList<>();
        for (String line : out.substring(started, done).split("\n")) {
            if (line.contains(" org.memproflimits.internal.")) {
                loaded.add(line.trim());
            }
        }
        assertTrue(loaded.isEmpty(), "engine classes loaded after start(), by the callback or "
                + "the limit functions: " + loaded);
    }

    /** Runs {@link Child#main} with {@code mode} in a fresh JVM; returns its last output line. */
    private static String runChild(String mode) throws IOException, InterruptedException {
        String text = runChildOutput(mode);
        String[] lines = text.split("\n");
        String last = lines[lines.length - 1].trim();
        if (!last.startsWith("OK")) {
            return "child " + mode + ":\n" + text;
        }
        return last;
    }

    /** Runs {@link Child#main} with {@code mode} in a fresh JVM; returns its output, or fails. */
    private static String runChildOutput(String mode, String... jvmArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx64m");
        cmd.addAll(List.of(jvmArgs));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Child.class.getName());
        cmd.add(mode);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();          // until the child exits
        if (!p.waitFor(60, TimeUnit.SECONDS)) {                  // a hang guard, not a timing assertion
            p.destroyForcibly();
            fail(mode + ": child JVM did not exit");
        }
        String text = new String(out, StandardCharsets.UTF_8).trim();
        if (p.exitValue() != 0) {
            fail("child " + mode + " exited with " + p.exitValue() + ":\n" + text);
        }
        return text;
    }

    private static List<Throwable> race(int threads, Runnable action) throws Exception {
        CyclicBarrier go = new CyclicBarrier(threads);
        Map<Integer, Throwable> failures = new ConcurrentHashMap<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    action.run();
                } catch (Throwable e) {
                    failures.put(id, e);
                }
            });
            t.start();
            ts.add(t);
        }
        for (Thread t : ts) {
            t.join();
        }
        return new ArrayList<>(failures.values());
    }

    /** The child JVM's program: checks one way of starting the engine; prints "OK mode" on success. */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) throws Exception {
            String mode = args[0];
            check(!MemprofLimits.isStarted(), "started before anything asked for it");
            switch (mode) {
                case "limitAllocations":
                    MemprofLimits.limitAllocations(1 << 20, () -> "x");
                    break;
                case "limitGlobalMemory":
                    MemprofLimits.limitGlobalMemory(() -> "x");
                    break;
                case "limitWithToken":
                    MemprofLimits.limitWithToken(new Token(), () -> "x");
                    break;
                case "callbackPaths": {
                    // The limit functions' own code (lambdas, records) links at first use, outside
                    // the callback: use each once, allocating too little to be sampled (a few
                    // hundred bytes: P(sampled) < 1 %; a sample there only loads earlier).
                    MemprofLimits.limitAllocations(1L << 40, () -> 0);
                    MemprofLimits.limitGlobalMemory(() -> 0);
                    MemprofLimits.limitWithToken(new Token(), () -> 0);
                    System.out.println("CALLBACK-PATHS-STARTED");
                    // 16 MiB = 128 S per path: P(no sample on a path) = e^-128.
                    org.memproflimits.userland.Userland.churn(16L << 20, 1024);
                    MemprofLimits.limitAllocations(1L << 40, () ->
                            org.memproflimits.userland.Userland.churn(16L << 20, 1024));
                    Result<?> r = MemprofLimits.limitAllocations(0, () ->
                            org.memproflimits.userland.Userland.churn(16L << 20, 1024));
                    check(r instanceof Result.Interrupted<?>, "not interrupted: " + r);
                    System.out.println("CALLBACK-PATHS-DONE");
                    break;
                }
                case "limitWithSetToken": {
                    Token token = new Token();
                    token.set();
                    Result<String> r = MemprofLimits.limitWithToken(token, () -> "x");
                    check(r instanceof Result.Interrupted<String> i && i.limit() == Limit.TOKEN, "result " + r);
                    break;
                }
                case "raceStart": {
                    List<Throwable> failures = race(8, MemprofLimits::start);
                    check(failures.isEmpty(), "concurrent start() failed: " + failures);
                    check(MemprofLimits.samplingInterval() == 128 * 1024, "interval " + MemprofLimits.samplingInterval());
                    break;
                }
                case "badLibrary": {
                    String bogus = "/nonexistent/memproflimits-test/libnothing.so";
                    System.setProperty("org.memproflimits.library", bogus);
                    for (int attempt = 0; attempt < 2; attempt++) {
                        try {
                            MemprofLimits.start();
                            check(false, "start() succeeded with " + bogus);
                        } catch (EngineUnavailableException e) {
                            check(String.valueOf(e.getMessage()).contains(bogus), "message does not name the library: " + e);
                        }
                        check(!MemprofLimits.isStarted(), "started after a failed start()");
                    }
                    try {
                        MemprofLimits.limitAllocations(1 << 20, () -> "x");
                        check(false, "limitAllocations ran without an engine");
                    } catch (EngineUnavailableException e) {
                        check(!MemprofLimits.isStarted(), "started after a failed limit function");
                    }
                    // Nothing was left half-started: with the shipped library, it starts.
                    System.clearProperty("org.memproflimits.library");
                    MemprofLimits.start();
                    Token token = new Token();
                    // 1 GiB = 8192 S after the token is set: the flag is set at the first sample
                    // (a miss has probability e^-8192).
                    Result<String> r = MemprofLimits.limitWithToken(token, () -> {
                        token.set();
                        org.memproflimits.userland.Userland.churn(1L << 30, 1024);
                        return "not interrupted";
                    });
                    check(r instanceof Result.Interrupted<String>, "the engine does not work after the retry: " + r);
                    break;
                }
                default:
                    throw new IllegalArgumentException(mode);
            }
            check(MemprofLimits.isStarted(), mode + " did not start the engine");
            System.out.println("OK " + mode);
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                System.out.println("FAILED: " + what);
                System.exit(1);
            }
        }
    }
}
