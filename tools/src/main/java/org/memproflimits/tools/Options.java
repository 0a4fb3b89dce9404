package org.memproflimits.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.memproflimits.Memprof;

/** The parsed command line of {@code profile} or {@code run}. */
final class Options {
    /** HotSpot's, async-profiler's and Go's default: about 1% overhead on allocation-heavy code. */
    static final long DEFAULT_INTERVAL = 512 * 1024;
    static final int DEFAULT_STACK = 64;
    static final String DEFAULT_OUT = "memprof-profile.html";

    /** How the profile is written, by the output file's extension. */
    enum Format { HTML, COLLAPSED, JFR }

    private static final Set<String> PROFILE_OPTIONS = Set.of("--interval", "--live", "--stack", "--out", "--lines");
    private static final Set<String> RUN_OPTIONS = Set.of("--alloc-limit", "--heap-limit", "--timeout", "--interval");
    private static final Set<String> CLASS_PATH = Set.of("-cp", "-classpath", "--class-path");

    final String command;
    long interval = DEFAULT_INTERVAL;
    boolean intervalGiven;
    int stack = DEFAULT_STACK;
    boolean live;
    boolean lines;
    Path out = Path.of(DEFAULT_OUT);
    Format format = Format.HTML;
    long allocLimit = -1;
    long heapLimit = -1;
    Duration timeout;
    String classPath;
    String mainClass;
    List<String> programArgs = List.of();

    private Options(String command) {
        this.command = command;
    }

    static Options parse(String command, List<String> args) throws UsageException {
        Options o = new Options(command);
        Set<String> allowed = command.equals("profile") ? PROFILE_OPTIONS : RUN_OPTIONS;
        int i = 0;
        while (i < args.size()) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (!arg.startsWith("-") || arg.equals("-")) {
                break;                                       // the main class
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            boolean flag = name.equals("--live") || name.equals("--lines");
            if (!allowed.contains(name) && !CLASS_PATH.contains(name)) {
                throw new UsageException("unknown option " + name + " for '" + command + "'");
            }
            if (flag) {
                if (value != null) {
                    throw new UsageException(name + " takes no value");
                }
                if (name.equals("--live")) {
                    o.live = true;
                } else {
                    o.lines = true;
                }
                i++;
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(name + " needs a value");
                }
                value = args.get(++i);
            }
            i++;
            o.set(name, value);
        }
        if (o.classPath == null) {
            throw new UsageException("missing -cp CLASSPATH: where the program's classes are");
        }
        if (i >= args.size()) {
            throw new UsageException("missing MAIN: the class whose main method to run");
        }
        o.mainClass = args.get(i);
        o.programArgs = List.copyOf(args.subList(i + 1, args.size()));
        o.check();
        return o;
    }

    private void set(String name, String value) throws UsageException {
        switch (name) {
            case "-cp", "-classpath", "--class-path" -> classPath = value;
            case "--interval" -> {
                interval = Units.parseSize(name, value);
                intervalGiven = true;
                if (interval < 1024 || interval > (1L << 30)) {
                    throw new UsageException("--interval: " + value + " is outside [1k, 1g]");
                }
            }
            case "--stack" -> {
                try {
                    stack = Integer.parseInt(value.trim());
                } catch (NumberFormatException e) {
                    throw new UsageException("--stack: '" + value + "' is not a number of frames");
                }
                if (stack < 0 || stack > Memprof.MAX_CALLSTACK_SIZE) {
                    throw new UsageException("--stack: " + stack + " is outside [0, " + Memprof.MAX_CALLSTACK_SIZE + "]");
                }
            }
            case "--out" -> {
                out = Path.of(value);
                String lower = value.toLowerCase(Locale.ROOT);
                if (lower.endsWith(".html") || lower.endsWith(".htm")) {
                    format = Format.HTML;
                } else if (lower.endsWith(".txt") || lower.endsWith(".collapsed")) {
                    format = Format.COLLAPSED;
                } else if (lower.endsWith(".jfr")) {
                    format = Format.JFR;
                } else {
                    throw new UsageException("--out: '" + value + "' must end with .html (flame graph), "
                            + ".txt or .collapsed (collapsed stacks), or .jfr (JFR recording)");
                }
            }
            case "--alloc-limit" -> allocLimit = Units.parseSize(name, value);
            case "--heap-limit" -> heapLimit = Units.parseSize(name, value);
            case "--timeout" -> timeout = Units.parseDuration(name, value);
            default -> throw new IllegalStateException(name);
        }
    }

    private void check() throws UsageException {
        if (mainClass.isEmpty() || mainClass.startsWith("-")) {
            throw new UsageException("missing MAIN: '" + mainClass + "' is not a class name");
        }
        if (command.equals("profile")) {
            if (live && format == Format.JFR) {
                throw new UsageException("--live cannot be written as .jfr: JFR records allocations, "
                        + "not frees; use .html or .txt");
            }
            Path dir = out.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                throw new UsageException("--out: directory " + dir + " does not exist");
            }
        }
    }

    /** The class path entries as URLs-to-be: {@code dir/*} means the jars in {@code dir}, as for java. */
    List<Path> classPathEntries() {
        List<Path> entries = new ArrayList<>();
        for (String e : classPath.split(java.io.File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            if (e.endsWith("*") && (e.length() == 1 || e.charAt(e.length() - 2) == '/'
                    || e.charAt(e.length() - 2) == java.io.File.separatorChar)) {
                Path dir = Path.of(e.substring(0, e.length() - 1).isEmpty() ? "." : e.substring(0, e.length() - 1));
                try (var jars = Files.list(dir)) {
                    jars.filter(p -> p.toString().toLowerCase(Locale.ROOT).endsWith(".jar")).sorted().forEach(entries::add);
                } catch (java.io.IOException ignored) {
                    // like java: a wildcard over a missing directory adds nothing
                }
            } else {
                entries.add(Path.of(e));
            }
        }
        return entries;
    }
}
