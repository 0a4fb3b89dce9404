package org.memproflimits.tools;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.memproflimits.ProfileSnapshot;

/**
 * The program to run in this JVM: its class loader (a {@link URLClassLoader} over {@code -cp},
 * whose parent is the runner's, so the program shares this runner's memprof-limits), and its
 * {@code main}, called through a method handle so that no reflection frames sit under it.
 */
final class Program {
    private final ClassLoader loader;
    private final MethodHandle main;
    private final String[] args;
    final String mainClass;

    private Program(ClassLoader loader, MethodHandle main, String mainClass, List<String> args) {
        this.loader = loader;
        this.main = main;
        this.mainClass = mainClass;
        this.args = args.toArray(new String[0]);
    }

    /** Finds MAIN in -cp, without initializing it; a missing class or method is a usage error. */
    static Program load(Options o) throws UsageException {
        List<URL> urls = new ArrayList<>();
        for (Path p : o.classPathEntries()) {
            try {
                urls.add(p.toAbsolutePath().toUri().toURL());
            } catch (MalformedURLException e) {
                throw new UsageException("-cp: bad entry " + p + ": " + e.getMessage());
            }
        }
        // Unnamed, so that stack traces read as the java launcher's would.
        ClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getSystemClassLoader());
        Class<?> c;
        try {
            c = Class.forName(o.mainClass, false, loader);
        } catch (ClassNotFoundException e) {
            throw new UsageException("main class " + o.mainClass + " not found in -cp " + o.classPath);
        } catch (LinkageError e) {
            throw new UsageException("main class " + o.mainClass + " cannot be loaded: " + e);
        }
        Method m;
        try {
            m = c.getMethod("main", String[].class);
        } catch (NoSuchMethodException e) {
            throw new UsageException("class " + o.mainClass + " has no public static void main(String[])");
        }
        if (!Modifier.isStatic(m.getModifiers()) || m.getReturnType() != void.class) {
            throw new UsageException("class " + o.mainClass + " has no public static void main(String[])");
        }
        try {
            m.setAccessible(true);                           // a non-public class, as java allows
            return new Program(loader, MethodHandles.lookup().unreflect(m), o.mainClass, o.programArgs);
        } catch (RuntimeException | IllegalAccessException e) {
            throw new UsageException("cannot call " + o.mainClass + ".main: " + e);
        }
    }

    /** Runs main in the calling thread, with the program's loader as context loader. */
    void invoke() throws Throwable {
        Thread.currentThread().setContextClassLoader(loader);
        main.invokeExact(args);
    }

    /**
     * Waits, as the java launcher does, until no other non-daemon thread is alive: the program
     * has ended when its last non-daemon thread has.
     */
    static void awaitNonDaemonThreads() throws InterruptedException {
        Thread me = Thread.currentThread();
        while (true) {
            Thread other = null;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t != me && !t.isDaemon() && t.isAlive() && !t.getName().equals("DestroyJavaVM")) {
                    other = t;
                    break;
                }
            }
            if (other == null) {
                return;
            }
            other.join();
        }
    }

    /**
     * Removes the runner's frames from the root end of the main thread's stacks: each stack that
     * passes through {@link #invoke} ends with the program's own frames. Drops the sites of the
     * runner's own allocations (the profile runs from before the program starts until after it
     * ends): stacks with a runner frame that do not pass through {@link #invoke}.
     */
    static ProfileSnapshot withoutRunnerFrames(ProfileSnapshot s) {
        String self = Program.class.getName();
        List<ProfileSnapshot.Site> sites = new ArrayList<>(s.sites().size());
        for (ProfileSnapshot.Site site : s.sites()) {
            List<StackTraceElement> stack = site.stack();
            int cut = stack.size();
            boolean runner = false;
            for (int i = 0; i < stack.size(); i++) {
                if (stack.get(i).getClassName().equals(self) && stack.get(i).getMethodName().equals("invoke")) {
                    cut = i;
                    break;
                }
                runner |= isRunner(stack.get(i));
            }
            if (cut < stack.size()) {
                sites.add(new ProfileSnapshot.Site(stack.subList(0, cut), site.type(), site.bytes(), site.samples()));
            } else if (!runner) {
                sites.add(site);
            }
        }
        return new ProfileSnapshot(sites);
    }

    /** A frame of the runner itself: a class of this package (not of a subpackage). */
    private static boolean isRunner(StackTraceElement frame) {
        String pkg = Program.class.getPackageName() + ".";
        String name = frame.getClassName();
        return name.startsWith(pkg) && name.indexOf('.', pkg.length()) < 0;
    }
}
