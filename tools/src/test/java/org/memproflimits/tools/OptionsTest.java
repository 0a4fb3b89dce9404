package org.memproflimits.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sizes, durations, options and usage errors, in this JVM: nothing here runs a program. */
class OptionsTest {

    @Test
    void sizes() throws Exception {
        assertEquals(4096, Units.parseSize("x", "4096"));
        assertEquals(64 << 10, Units.parseSize("x", "64k"));
        assertEquals(64 << 10, Units.parseSize("x", "64K"));
        assertEquals(64 << 10, Units.parseSize("x", "64KiB"));
        assertEquals(64 << 10, Units.parseSize("x", "64kb"));
        assertEquals(512L << 20, Units.parseSize("x", "512m"));
        assertEquals(2L << 30, Units.parseSize("x", "2g"));
        assertEquals(1L << 40, Units.parseSize("x", "1t"));
        assertEquals(0, Units.parseSize("x", "0"));
        for (String bad : new String[] {"", " ", "12x", "1.5g", "-1", "k", "g1", "64 k", "10ib", "99999999999999999999", "9000000000g"}) {
            UsageException e = assertThrows(UsageException.class, () -> Units.parseSize("--alloc-limit", bad), bad);
            assertTrue(e.getMessage().startsWith("--alloc-limit: "), e.getMessage());
        }
        assertEquals("64m", Units.size(64L << 20));
        assertEquals("1536", Units.size(1536));
        assertEquals("3k", Units.size(3072));
        assertEquals("1.5 GiB", Units.approx(3L << 29));
        assertEquals("12 B", Units.approx(12));
    }

    @Test
    void durations() throws Exception {
        assertEquals(Duration.ofMillis(500), Units.parseDuration("x", "500ms"));
        assertEquals(Duration.ofSeconds(10), Units.parseDuration("x", "10s"));
        assertEquals(Duration.ofMinutes(2), Units.parseDuration("x", "2m"));
        assertEquals(Duration.ofHours(1), Units.parseDuration("x", "1h"));
        for (String bad : new String[] {"10", "", "1.5s", "-1s", "10 s", "s", "10d", "99999999999999999999h"}) {
            assertThrows(UsageException.class, () -> Units.parseDuration("--timeout", bad), bad);
        }
        assertEquals("500ms", Units.duration(Duration.ofMillis(500)));
        assertEquals("10s", Units.duration(Duration.ofSeconds(10)));
        assertEquals("2m", Units.duration(Duration.ofMinutes(2)));
    }

    @Test
    void profileOptions() throws Exception {
        Options o = Options.parse("profile", List.of("--interval", "64k", "--stack=16", "--live", "--lines",
                "--out", "x.txt", "-cp", "a:b", "com.x.Main", "--interval", "1", "-x"));
        assertEquals(64 << 10, o.interval);
        assertEquals(16, o.stack);
        assertTrue(o.live && o.lines);
        assertEquals(Options.Format.COLLAPSED, o.format);
        assertEquals("a:b", o.classPath);
        assertEquals("com.x.Main", o.mainClass);
        assertEquals(List.of("--interval", "1", "-x"), o.programArgs, "everything after MAIN is the program's");

        Options d = Options.parse("profile", List.of("-classpath", ".", "M"));
        assertEquals(Options.DEFAULT_INTERVAL, d.interval);
        assertEquals(Options.DEFAULT_STACK, d.stack);
        assertEquals(Options.Format.HTML, d.format);
        assertFalse(d.live);
        assertEquals(Options.Format.JFR, Options.parse("profile", List.of("--out", "p.JFR", "-cp", ".", "M")).format);
        assertEquals(List.of("-cp"), Options.parse("profile", List.of("-cp", ".", "--", "M", "-cp")).programArgs);
    }

    @Test
    void runOptions() throws Exception {
        Options o = Options.parse("run", List.of("--alloc-limit", "64m", "--heap-limit=1g", "--timeout", "10s",
                "--class-path", "cp", "M", "arg"));
        assertEquals(64L << 20, o.allocLimit);
        assertEquals(1L << 30, o.heapLimit);
        assertEquals(Duration.ofSeconds(10), o.timeout);
        assertFalse(o.intervalGiven);
        Options none = Options.parse("run", List.of("-cp", "cp", "M"));
        assertEquals(-1, none.allocLimit);
        assertEquals(-1, none.heapLimit);
        assertNull(none.timeout);
    }

    @Test
    void badOptionsAreUsageErrors() {
        String[][] cases = {
            {"profile", "--bogus", "-cp", ".", "M"},                      // unknown option
            {"profile", "--timeout", "1s", "-cp", ".", "M"},              // run's option
            {"run", "--live", "-cp", ".", "M"},                           // profile's option
            {"profile", "--interval", "12x", "-cp", ".", "M"},            // malformed size
            {"profile", "--interval", "100", "-cp", ".", "M"},            // below 1k
            {"profile", "--interval", "2g", "-cp", ".", "M"},             // above 1g
            {"profile", "--stack", "2000", "-cp", ".", "M"},
            {"profile", "--stack", "many", "-cp", ".", "M"},
            {"profile", "--out", "p.svg", "-cp", ".", "M"},               // unknown format
            {"profile", "--out", "/no/such/dir/p.html", "-cp", ".", "M"},
            {"profile", "--live", "--out", "p.jfr", "-cp", ".", "M"},     // frees are not recorded
            {"profile", "--live=yes", "-cp", ".", "M"},
            {"run", "--alloc-limit", "1.5g", "-cp", ".", "M"},
            {"run", "--timeout", "10", "-cp", ".", "M"},                  // unit required
            {"run", "--timeout", "-cp", ".", "M"},                        // the value is "-cp"
            {"run", "-cp"},                                               // no value
            {"run", "M"},                                                 // no -cp
            {"run", "-cp", "."},                                          // no MAIN
        };
        for (String[] c : cases) {
            assertThrows(UsageException.class, () -> Options.parse(c[0], List.of(c).subList(1, c.length)),
                    String.join(" ", c));
        }
    }

    @Test
    void mainReportsUsageErrorsWithStatus2() {
        assertUsage(List.of(), "no command");
        assertUsage(List.of("frobnicate"), "unknown command 'frobnicate'");
        assertUsage(List.of("run", "--bogus", "-cp", ".", "M"), "unknown option --bogus for 'run'");
        assertUsage(List.of("run", "--alloc-limit", "lots", "-cp", ".", "M"), "--alloc-limit: 'lots' is not a size");
        assertUsage(List.of("run", "-cp", "target/test-classes", "no.such.Main"),
                "main class no.such.Main not found in -cp target/test-classes");
        assertUsage(List.of("profile", "-cp", "target/test-classes", "org.memproflimits.tools.fixtures.NoMain"),
                "has no public static void main(String[])");
    }

    @Test
    void helpGoesToStdoutWithStatus0() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        for (List<String> args : List.of(List.of("--help"), List.of("-h"), List.of("help"), List.of("run", "--help"))) {
            out.reset();
            int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(Main.OK, status);
            String help = out.toString(StandardCharsets.UTF_8);
            assertTrue(help.contains("Exit status:"), help);
            for (String line : new String[] {"0  the program ended normally", "1  the program's main threw",
                    "2  bad command line", "3  run: the allocation limit", "4  run: the heap limit",
                    "5  run: the timeout", "6  memprof itself failed"}) {
                assertTrue(help.contains(line), "help lacks: " + line);
            }
        }
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    private static void assertUsage(List<String> args, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(Main.USAGE, status, e);
        assertTrue(e.startsWith("memprof: "), e);
        assertTrue(e.contains(message), "stderr lacks '" + message + "':\n" + e);
        assertTrue(e.contains("Usage: java -jar memprof.jar profile"), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }
}
