package org.memproflimits.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import org.memproflimits.EngineUnavailableException;

/**
 * Finds, loads and starts the native shim ({@code src/main/c/memproflimits.c}).
 *
 * <p>The shim ships inside the jar under {@code native/<os>-<arch>/}; it is copied to a temporary
 * file and loaded with {@link System#load}, so no {@code -agentpath} is needed. The system
 * property {@value #LIBRARY_PROPERTY} names a shim built elsewhere, for platforms the jar does
 * not carry.
 */
final class NativeSampler {
    static final String LIBRARY_PROPERTY = "org.memproflimits.library";
    /** os.name/os.arch pairs the jar carries a shim for, and that shim's directory. */
    private static final Map<String, String> PLATFORMS = Map.of("linux/amd64", "linux-x86_64");
    private static boolean loaded;

    private NativeSampler() {
    }

    static native String start(Class<?> engine, int interval);

    static native int setInterval(int interval);

    /**
     * From inside the sample callback: the opcode the allocating frame executes; -1 for a native
     * frame, -2 if unknown.
     */
    static native int allocatingOpcode();

    /**
     * Whether the shim recognizes samples taken while the thread is inside a deoptimization (it
     * found HotSpot's AsyncGetCallTrace); it drops them rather than run Java code there.
     */
    static native boolean guardsDeoptimization();

    /** Samples dropped because their thread was inside a deoptimization, since start. */
    static native long droppedInDeoptimization();

    // ------------------------------------------------------------ the outside stop (Stopper)

    /** Whether the JVM granted what the outside stop needs (can_suspend, can_signal_thread). */
    static native boolean canStopFromOutside();

    /** JVMTI SuspendThread: returns 0 or the JVMTI error. */
    static native int suspend(Thread thread);

    /** JVMTI GetThreadState: the state bits, or -1 on an error. */
    static native int threadState(Thread thread);

    /** JVMTI_THREAD_STATE_IN_NATIVE. */
    static final int IN_NATIVE = 0x400000;

    /** JVMTI ResumeThread: returns 0 or the JVMTI error. */
    static native int resume(Thread thread);

    /** JVMTI StopThread: installs {@code exception} in the thread; returns 0 or the JVMTI error. */
    static native int stop(Thread thread, Throwable exception);

    /**
     * The thread's frames, innermost first, as jmethodIDs and bytecode indexes (-1: native).
     * Returns the thread's number of frames - if larger than the arrays, nothing useful was
     * written - or minus a JVMTI error.
     */
    static native int stackTrace(Thread thread, long[] methods, int[] locations);

    /** The class declaring a method that {@link #stackTrace} returned, or null. */
    static native Class<?> declaringClass(long method);

    /** The name of a method that {@link #stackTrace} returned, or null. */
    static native String methodName(long method);

    /** The bytecodes of a method that {@link #stackTrace} returned, or null. */
    static native byte[] bytecodes(long method);

    /** The line number table of a method as pairs (start index, line), or null. */
    static native int[] lineNumbers(long method);

    /** The source file name recorded in a class, or null. */
    static native String sourceFile(Class<?> klass);

    /** Loads the shim once; throws {@link EngineUnavailableException} saying why it cannot. */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        String override = System.getProperty(LIBRARY_PROPERTY);
        Path library = override != null ? Path.of(override) : extract();
        try {
            System.load(library.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new EngineUnavailableException("memprof-limits: cannot load its native library "
                    + library + ": " + e.getMessage(), e);
        } catch (IllegalCallerException | SecurityException e) {
            throw new EngineUnavailableException("memprof-limits: the JVM denies native access ("
                    + e.getMessage() + "); run with --enable-native-access=org.memproflimits "
                    + "(module path) or --enable-native-access=ALL-UNNAMED (class path)", e);
        }
        loaded = true;
    }

    private static Path extract() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String dir = PLATFORMS.get((os.startsWith("linux") ? "linux" : os) + "/" + arch);
        if (dir == null) {
            throw new EngineUnavailableException("memprof-limits: unsupported platform " + os + "/"
                    + arch + "; the jar carries a native library for " + PLATFORMS.keySet()
                    + ". Build core/src/main/c/memproflimits.c for this platform and name it with -D"
                    + LIBRARY_PROPERTY + "=/path/to/library", null);
        }
        String resource = "native/" + dir + "/libmemproflimits.so";
        try (InputStream in = NativeSampler.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new EngineUnavailableException("memprof-limits: the native library " + resource
                        + " is missing from the jar (was it built without the native step?); "
                        + "rebuild with 'mvn package' on " + dir + ", or name one with -D"
                        + LIBRARY_PROPERTY, null);
            }
            Path tmp = Files.createTempFile("memproflimits-", ".so");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new EngineUnavailableException("memprof-limits: cannot copy its native library to a "
                    + "temporary file (" + e + "); check java.io.tmpdir, or name the library with -D"
                    + LIBRARY_PROPERTY, e);
        }
    }
}
