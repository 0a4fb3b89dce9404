package org.memproflimits.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;
import jdk.jfr.Recording;
import org.memproflimits.AllocationProfile;
import org.memproflimits.CollapsedStacks;
import org.memproflimits.LiveHeapProfile;
import org.memproflimits.Memprof;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Profile;
import org.memproflimits.ProfileSnapshot;
import org.memproflimits.Tracker;

/** {@code profile}: runs the program under a profile and writes it when the program ends. */
final class ProfileCommand {
    private final Options options;
    private final PrintStream err;
    private AllocationProfile allocations;
    private LiveHeapProfile live;
    private LivePeak livePeak;
    private Recording recording;
    private Profile profile;
    private boolean finished;
    private boolean written;

    private ProfileCommand(Options options, PrintStream err) {
        this.options = options;
        this.err = err;
    }

    static int run(Options o, PrintStream err) throws UsageException {
        Program program = Program.load(o);
        ProfileCommand c = new ProfileCommand(o, err);
        c.start();
        // The program may end with System.exit: the profile is written then, by this hook.
        Runtime.getRuntime().addShutdownHook(new Thread(c::finish, "memprof-profile-writer"));
        int status = Main.OK;
        try {
            program.invoke();
        } catch (Throwable t) {
            Main.printUncaught(t, err);
            status = Main.PROGRAM_FAILED;
        }
        try {
            Program.awaitNonDaemonThreads();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return c.finish() || status != Main.OK ? status : Main.MEMPROF_FAILED;
    }

    private void start() {
        if (options.interval > MemprofLimits.samplingInterval() && !MemprofLimits.isStarted()) {
            MemprofLimits.setSamplingInterval(options.interval);    // a profile may not sample less often
        }
        Tracker<?> tracker;
        switch (options.format) {
            case JFR -> {
                JfrAllocationTracker jfr = new JfrAllocationTracker();
                recording = new Recording();
                recording.setName("memprof");
                recording.enable(AllocationSampleEvent.NAME).withStackTrace();
                recording.setToDisk(true);
                try {
                    recording.setDestination(options.out);       // written at stop, or by JFR at exit
                } catch (IOException e) {
                    throw new IllegalStateException("cannot write " + options.out + ": " + e.getMessage(), e);
                }
                recording.setDumpOnExit(true);
                recording.start();
                tracker = jfr;
            }
            default -> {
                if (options.live) {
                    tracker = live = new LiveHeapProfile();
                    livePeak = new LivePeak(live);
                } else {
                    tracker = allocations = new AllocationProfile();
                }
            }
        }
        profile = Memprof.start(options.interval, options.stack, tracker);
    }

    /** Stops the profile and writes the output, once; returns whether the output was written. */
    synchronized boolean finish() {
        if (finished) {
            return written;
        }
        finished = true;
        try {
            if (profile.isRunning()) {
                Memprof.stop();
            }
            long samples = profile.samples();
            switch (options.format) {
                case JFR -> {
                    recording.stop();                          // writes the destination file
                    recording.close();
                    err.printf(Locale.ROOT, "memprof: wrote %s: %,d samples as %s events (interval %s)%n",
                            options.out, samples, AllocationSampleEvent.NAME, Units.size(options.interval));
                }
                case HTML, COLLAPSED -> {
                    ProfileSnapshot s = Program.withoutRunnerFrames(options.live ? livePeak.stop() : allocations.snapshot());
                    String what = options.live
                            ? String.format(Locale.ROOT, "Live heap of %s at its peak after a collection: about %s in %,d samples",
                                    shortName(), Units.approx(s.totalBytes()), s.totalSamples())
                            : String.format(Locale.ROOT, "Allocations of %s: about %s in %,d samples",
                                    shortName(), Units.approx(s.totalBytes()), s.totalSamples());
                    if (options.format == Options.Format.HTML) {
                        try (OutputStream out = Files.newOutputStream(options.out)) {
                            FlameGraphHtml.write(s, what + " (memprof-limits, interval "
                                    + Units.size(options.interval) + ")", options.lines, out);
                        }
                    } else {
                        try (Writer out = Files.newBufferedWriter(options.out, StandardCharsets.UTF_8)) {
                            CollapsedStacks.write(s, out, CollapsedStacks.Value.BYTES, options.lines);
                        }
                    }
                    err.printf(Locale.ROOT, "memprof: wrote %s: %s (interval %s)%n", options.out,
                            Character.toLowerCase(what.charAt(0)) + what.substring(1), Units.size(options.interval));
                }
                default -> throw new IllegalStateException();
            }
            if (profile.trackerFailure() != null) {
                err.println("memprof: warning: the tracker failed, the profile is incomplete: " + profile.trackerFailure());
            }
            profile.discard();
            written = true;
        } catch (IOException | RuntimeException e) {
            err.println("memprof: cannot write " + options.out + ": " + e);
        }
        err.flush();
        return written;
    }

    private String shortName() {
        int dot = options.mainClass.lastIndexOf('.');
        return dot < 0 ? options.mainClass : options.mainClass.substring(dot + 1);
    }
}
