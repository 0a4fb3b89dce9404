package org.memproflimits.internal;

import java.lang.StackWalker.StackFrame;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
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
 *   <li>a frame of a package the user masked ({@code Masking.maskPackage}): a library whose
 *       shared state does not survive an exception at any allocation;</li>
 *   <li>a native method at the top: a JNI allocation from native code, which may not expect an
 *       exception to become pending;</li>
 *   <li>the library's own code at the top, below the callback: an engine frame, or one of the
 *       public classes' (a {@code Token.set} in the task, the record a limit function returns);
 *       the task is not the library, and the interrupt can wait for the task's next sample;</li>
 *   <li>a sampled object that is a {@code Class} or a {@code java.lang.invoke} object: one the VM
 *       allocates for itself while it resolves a class, a method type or a call site at the top
 *       frame's bytecode, with no Java frame of its own;</li>
 *   <li>an allocating frame whose current bytecode allocates nothing by itself once linked
 *       ({@code invokedynamic}, {@code ldc}, field accesses, {@code checkcast},
 *       {@code instanceof}): the allocation is the VM's, linking the call site, resolving the
 *       constant, or loading and initializing a class (the shim reads the opcode with JVMTI
 *       GetBytecodes, only when an interrupt is due).</li>
 * </ul>
 * What remains: allocations the VM makes for itself while it links a class or resolves a member
 * at a {@code new}, {@code anewarray} or invoke bytecode (a constant pool array, say) are not told
 * apart from the bytecode's own. An interrupt there fails the resolution the way an
 * {@code OutOfMemoryError} would; HotSpot records a resolution error only for a
 * {@code LinkageError} (JVMS 5.4.3; {@code ConstantPool::save_and_throw_exception}), which the
 * interrupt is not, so the resolution is retried when the bytecode runs again and nothing
 * JVM-global is poisoned.
 */
final class RaiseSafety {
    private static final StackWalker WALKER =
            StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final Function<Stream<StackFrame>, Boolean> CHECK = new Check();
    private static final String INTERNAL_PACKAGE = RaiseSafety.class.getPackageName();
    private static final String LINKAGE_ENTRY = "java.lang.invoke.MethodHandleNatives";

    private RaiseSafety() {
    }

    /** Public classes whose frames are the library's own (nested classes included). */
    private static final Set<String> LIBRARY_CLASSES = Set.of(
            "org.memproflimits.MemprofLimits", "org.memproflimits.Masking", "org.memproflimits.Resource",
            "org.memproflimits.Guarded", "org.memproflimits.Token", "org.memproflimits.Result",
            "org.memproflimits.Memprof", "org.memproflimits.Profile",
            "org.memproflimits.InterruptibleCharSequence");

    /**
     * @param sampled the class of the sampled object
     * @return whether an interrupt may arise at this sampled allocation
     */
    static boolean canRaiseHere(Class<?> sampled) {
        if (sampled == Class.class || sampled.getPackageName().equals("java.lang.invoke")) {
            return false;
        }
        if (!WALKER.walk(CHECK)) {
            return false;
        }
        int opcode = NativeSampler.allocatingOpcode();
        return opcode < 0 || !LINKING_ONLY[opcode];
    }

    /**
     * Whether an interrupt may arise at a checkpoint: the caller chose the place, so only the
     * JVM-global hazards count (an initializer, a class loader or a call-site link below it).
     */
    static boolean canRaiseAtCheckpoint() {
        return WALKER.walk(CHECKPOINT);
    }

    private static final Function<Stream<StackFrame>, Boolean> CHECKPOINT =
            frames -> frames.noneMatch(RaiseSafety::defers);

    /**
     * A frame under which no interrupt arises: one under which an exception would poison
     * JVM-global state (see the class comment), or one of a masked package.
     */
    private static boolean defers(StackFrame f) {
        return f.getMethodName().equals("<clinit>")
                || ClassLoader.class.isAssignableFrom(f.getDeclaringClass())
                || f.getDeclaringClass().getName().equals(LINKAGE_ENTRY)
                || isInMaskedPackage(f.getClassName());
    }

    /** The masked packages' names, each with a final dot; copied on write. */
    private static volatile String[] maskedPackages = new String[0];

    static synchronized boolean maskPackage(String name) {
        String prefix = name + ".";
        if (Arrays.asList(maskedPackages).contains(prefix)) {
            return false;
        }
        String[] more = Arrays.copyOf(maskedPackages, maskedPackages.length + 1);
        more[more.length - 1] = prefix;
        maskedPackages = more;
        return true;
    }

    static synchronized boolean unmaskPackage(String name) {
        String prefix = name + ".";
        String[] fewer = Arrays.stream(maskedPackages).filter(p -> !p.equals(prefix)).toArray(String[]::new);
        boolean removed = fewer.length < maskedPackages.length;
        maskedPackages = fewer;
        return removed;
    }

    static Set<String> maskedPackages() {
        Set<String> names = new TreeSet<>();
        for (String p : maskedPackages) {
            names.add(p.substring(0, p.length() - 1));
        }
        return Collections.unmodifiableSet(names);
    }

    /** Whether the class (or frame) of this name is in a masked package or a subpackage of one. */
    static boolean isInMaskedPackage(String className) {
        for (String p : maskedPackages) {
            if (className.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Bytecodes that, once linked, allocate nothing themselves: an allocation sampled while one
     * of them is the allocating frame's current bytecode is the VM's, linking a call site,
     * resolving a constant, or resolving and initializing the class of a field or cast. (Invokes
     * are not among them: C2 attributes an intrinsic's allocation, {@code Arrays.copyOf} say, to
     * the invoke that it replaced.)
     */
    private static final boolean[] LINKING_ONLY = new boolean[256];

    static {
        for (int op : new int[] {0x12, 0x13, 0x14,          // ldc, ldc_w, ldc2_w
                0xb2, 0xb3, 0xb4, 0xb5,                     // getstatic, putstatic, getfield, putfield
                0xba,                                       // invokedynamic
                0xc0, 0xc1}) {                              // checkcast, instanceof
            LINKING_ONLY[op] = true;
        }
    }

    private static boolean isJdk(Class<?> c) {
        ClassLoader loader = c.getClassLoader();
        return loader == null || loader == PLATFORM;
    }

    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private static boolean isLibrary(Class<?> c) {
        return c.getPackageName().equals(INTERNAL_PACKAGE)
                || LIBRARY_CLASSES.contains(c.getNestHost().getName());
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
        /** Whether {@code f} is one of the callback's frames, above the allocating frame. */
        private static boolean isCallback(StackFrame f) {
            Class<?> c = f.getDeclaringClass();
            String m = f.getMethodName();
            return (c == Engine.class && m.equals("onSample"))
                    || (c == ThreadLimits.class && m.equals("onSample"))
                    || (c == RaiseSafety.class && m.equals("canRaiseHere"));
        }

        @Override
        public Boolean apply(Stream<StackFrame> frames) {
            Iterator<StackFrame> it = frames.iterator();
            boolean atTop = true;
            boolean first = true;
            while (it.hasNext()) {
                StackFrame f = it.next();
                Class<?> c = f.getDeclaringClass();
                if (atTop) {
                    if (isCallback(f)) {
                        continue;               // the sample callback itself
                    }
                    if (first) {
                        first = false;
                        if (f.isNativeMethod()) {
                            return Boolean.FALSE;
                        }
                    }
                    if (isLibrary(c)) {
                        return Boolean.FALSE;   // the library, or the JDK called by it
                    }
                    // JDK frames above the first other frame may be called by the library
                    atTop = isJdk(c);
                }
                if (defers(f)) {
                    return Boolean.FALSE;
                }
            }
            return Boolean.TRUE;
        }
    }
}
