package org.memproflimits.tools;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import org.memproflimits.EngineUnavailableException;

/**
 * The command-line runner of {@code memprof.jar}: runs a program's {@code main} in this JVM under
 * the allocation profiler ({@code profile}) or under limits ({@code run}).
 *
 * <h2>What it is</h2>
 * {@code profile} samples the program's allocations with a {@code Memprof} profile and writes an
 * HTML flame graph, collapsed stacks or a JFR recording when the program ends. {@code run} runs
 * the program's main thread under {@code MemprofLimits}' allocation limit, global memory limit
 * and a token set by a timer. The program's classes come from {@code -cp}, through a class loader
 * whose parent is the runner's. {@code --help} prints the options.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>The exit status says how the program ended: {@link #OK}, {@link #PROGRAM_FAILED},
 *       {@link #USAGE}, {@link #ALLOCATION_LIMIT}, {@link #HEAP_LIMIT}, {@link #TIMEOUT},
 *       {@link #MEMPROF_FAILED}; a program's own {@code System.exit(n)} keeps {@code n}.</li>
 *   <li>A bad command line runs nothing: one line saying what is wrong and the usage go to
 *       stderr, and the status is {@link #USAGE}.</li>
 *   <li>{@code run} prints one line on stderr per limit reached, nothing otherwise.</li>
 *   <li>{@code profile} writes its output when the program's last non-daemon thread ends, or at
 *       {@code System.exit}, also when {@code main} threw.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>
 * java -jar memprof.jar profile --out alloc.html -cp app.jar com.example.Main input.csv
 * java -jar memprof.jar run --alloc-limit 1g --timeout 30s -cp app.jar com.example.Main input.csv
 * echo $?      # 3 if the allocation limit stopped it, 5 on timeout
 * </pre>
 */
public final class Main {
    /** The program ended normally. */
    public static final int OK = 0;
    /** The program's main threw. */
    public static final int PROGRAM_FAILED = 1;
    /** Bad command line. */
    public static final int USAGE = 2;
    /** run: the allocation limit was reached. */
    public static final int ALLOCATION_LIMIT = 3;
    /** run: the heap limit was reached. */
    public static final int HEAP_LIMIT = 4;
    /** run: the timeout expired. */
    public static final int TIMEOUT = 5;
    /** memprof itself failed: engine unavailable, output not written. */
    public static final int MEMPROF_FAILED = 6;

    static final String USAGE_TEXT = """
            Usage: java -jar memprof.jar profile [--interval SIZE] [--stack N] [--live] [--lines]
                                                 [--out FILE.html|.txt|.jfr] -cp CLASSPATH MAIN [ARGS...]
                   java -jar memprof.jar run [--alloc-limit SIZE] [--heap-limit SIZE] [--timeout DURATION]
                                             [--interval SIZE] -cp CLASSPATH MAIN [ARGS...]
                   java -jar memprof.jar --help
            """;

    static final String HELP = """
            memprof: run a Java program's main in this JVM, under memprof-limits' allocation
            profiler (profile) or under allocation, heap and time limits (run).

            """ + USAGE_TEXT + """

            MAIN is loaded from CLASSPATH (entries separated by '%s'; dir/* is the jars in dir).
            Options come before MAIN; everything after MAIN is passed to the program. JVM options
            (-Xmx, -XX:...) go before -jar. An option's value may also follow '=' (--out=p.html).

            profile   Samples the allocations of all threads and writes the profile when the
                      program ends (also when it calls System.exit).
              --interval SIZE   average bytes between samples; default 512k, from 1k to 1g
              --stack N         frames kept per sample; default 64, from 0 to 1024
              --live            the live heap (sampled objects not yet collected) at its peak
                                after a collection, not all allocations
              --lines           frames with line numbers
              --out FILE        default memprof-profile.html; by extension:
                                .html        interactive flame graph (async-profiler's renderer)
                                .txt         collapsed stacks, for flamegraph.pl or speedscope
                                .collapsed   the same
                                .jfr         JFR recording of org.memproflimits.AllocationSample
                                             events, for jfr print and JDK Mission Control

            run       Runs MAIN's main thread under the limits given, and stops it when one is
                      reached, with one line on stderr per limit reached. Only the main thread
                      is limited: threads it starts are not (they end with the JVM).
              --alloc-limit SIZE   stop once the main thread has allocated more than SIZE
              --heap-limit SIZE    stop once the heap holds more than SIZE of live data
              --timeout DURATION   stop after DURATION
              --interval SIZE      the limits' sampling interval; default 512k

            SIZE      bytes, or a number with k, m, g or t (1k = 1024): 4096, 64k, 512m, 2g
            DURATION  a number with ms, s, m or h: 500ms, 10s, 2m, 1h

            Exit status:
              0  the program ended normally (if it calls System.exit(n), the status is n)
              1  the program's main threw an exception (printed on stderr)
              2  bad command line: unknown option, malformed value, MAIN not found
              3  run: the allocation limit was reached
              4  run: the heap limit was reached
              5  run: the timeout expired
              6  memprof itself failed: engine unavailable, output not written
            If several limits are reached at once, each is reported and the status is that of
            the first in the order 3, 4, 5.
            """.formatted(java.io.File.pathSeparator);

    private Main() {
    }

    /**
     * Runs a command and exits the JVM with its status.
     *
     * @param args {@code profile} or {@code run}, options, {@code -cp CLASSPATH}, {@code MAIN},
     *        the program's arguments; or {@code --help}
     */
    public static void main(String[] args) {
        int status = run(Arrays.asList(args), System.out, System.err);
        System.exit(status);
    }

    /** Runs a command; returns the exit status. Output goes to {@code out}, messages to {@code err}. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            return usage(err, "no command");
        }
        String command = args.get(0);
        List<String> rest = args.subList(1, args.size());
        if (command.equals("--help") || command.equals("-h") || command.equals("help")
                || rest.contains("--help") && indexOfMain(rest) < 0) {
            out.print(HELP);
            out.flush();
            return OK;
        }
        try {
            return switch (command) {
                case "profile" -> ProfileCommand.run(Options.parse(command, rest), err);
                case "run" -> RunCommand.run(Options.parse(command, rest), err);
                default -> usage(err, "unknown command '" + command + "' (profile or run)");
            };
        } catch (UsageException e) {
            return usage(err, e.getMessage());
        } catch (EngineUnavailableException e) {
            err.println("memprof: " + e.getMessage());
            return MEMPROF_FAILED;
        }
    }

    /** --help counts only among memprof's options, not in the program's arguments. */
    private static int indexOfMain(List<String> rest) {
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("--out")
                    || a.equals("--interval") || a.equals("--stack") || a.equals("--alloc-limit")
                    || a.equals("--heap-limit") || a.equals("--timeout")) {
                i++;
            } else if (!a.startsWith("-")) {
                return i;
            }
        }
        return -1;
    }

    private static int usage(PrintStream err, String problem) {
        err.println("memprof: " + problem);
        err.print(USAGE_TEXT);
        err.println("Run 'java -jar memprof.jar --help' for the options and exit statuses.");
        err.flush();
        return USAGE;
    }

    /** Prints a throwable that escaped the program's main, as the java launcher does. */
    static void printUncaught(Throwable t, PrintStream err) {
        err.print("Exception in thread \"" + Thread.currentThread().getName() + "\" ");
        t.printStackTrace(err);
        err.flush();
    }
}
