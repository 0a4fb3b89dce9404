package org.memproflimits.internal;

import java.lang.StackWalker.StackFrame;
import java.util.Arrays;
import java.util.Iterator;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Where an interrupt must not be raised, read off the thread's stack at the sampled allocation.
 *
 * <p>An exception that escapes a static initializer marks the class erroneous for the JVM's
 * lifetime; one that escapes class loading or an {@code invokedynamic}/{@code ldc} bootstrap
 * can leave a linkage error recorded for good. That state is global, not the task's, so the
 * engine defers the interrupt to a later sample rather than raise while any of these frames is
 * on the stack:
 * <ul>
 *   <li>a {@code <clinit>} frame: class initialization;</li>
 *   <li>a frame of a {@link ClassLoader} or of a subclass: loading and defining classes;</li>
 *   <li>a frame of {@code java.lang.invoke.MethodHandleNatives}: the VM's entry for linking call
 *       sites, dynamic constants, method types and method handle constants (lambdas, string
 *       concatenation, records' {@code toString}, pattern switches);</li>
 *   <li>a native method at the top: a JNI allocation from native code, which may not expect an
 *       exception to become pending.</li>
 * </ul>
 * The library's own bookkeeping needs no rule here: it runs masked.
 * Allocations the VM makes for itself without a Java frame (a mirror or a constant pool array
 * while the boot loader resolves a class) fail the way an {@code OutOfMemoryError} would there;
 * the VM records no resolution error for an exception that is not a {@code LinkageError}, so the
 * resolution is retried later.
 */
final class RaiseSafety {
    private static final StackWalker WALKER =
            StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final Function<Stream<StackFrame>, Boolean> CHECK = new Check();
    private static final String INTERNAL_PACKAGE = RaiseSafety.class.getPackageName();
    private static final String LINKAGE_ENTRY = "java.lang.invoke.MethodHandleNatives";

    private RaiseSafety() {
    }

    static boolean canRaiseHere() {
        return WALKER.walk(CHECK);
    }

    /** Removes the engine's own frames from the top of the interrupt's stack trace. */
    static Throwable trimmed(Throwable t) {
        StackTraceElement[] trace = t.getStackTrace();
        int first = 0;
        while (first < trace.length && trace[first].getClassName().startsWith(INTERNAL_PACKAGE + ".")) {
            first++;
        }
        if (first > 0 && first < trace.length) {
            t.setStackTrace(Arrays.copyOfRange(trace, first, trace.length));
        }
        return t;
    }

    private static final class Check implements Function<Stream<StackFrame>, Boolean> {
        @Override
        public Boolean apply(Stream<StackFrame> frames) {
            Iterator<StackFrame> it = frames.iterator();
            boolean atTop = true;
            while (it.hasNext()) {
                StackFrame f = it.next();
                Class<?> c = f.getDeclaringClass();
                String pkg = c.getPackageName();
                if (atTop) {
                    if (pkg.equals(INTERNAL_PACKAGE)) {
                        continue;               // the sample callback itself
                    }
                    atTop = false;
                    if (f.isNativeMethod()) {
                        return Boolean.FALSE;
                    }
                }
                if (f.getMethodName().equals("<clinit>")
                        || ClassLoader.class.isAssignableFrom(c)
                        || c.getName().equals(LINKAGE_ENTRY)) {
                    return Boolean.FALSE;
                }
            }
            return Boolean.TRUE;
        }
    }
}
