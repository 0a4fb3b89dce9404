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
 * Where an interrupt must not arise: the one hazard policy of the engine, a predicate over a
 * thread's frames ({@link Walk}) used by every way an interrupt can arise ({@link Arising}).
 *
 * <p>Rules for every way (JVM-global hazards, anywhere on the stack). An exception that escapes
 * a static initializer marks the class erroneous for the JVM's lifetime; one that escapes class
 * loading or an {@code invokedynamic}/{@code ldc} bootstrap can leave a linkage error recorded for
 * good. That state is global, not the task's, so the interrupt is deferred while any of these
 * frames is on the stack:
 * <ul>
 *   <li>a {@code <clinit>} frame: class initialization;</li>
 *   <li>a frame of a {@link ClassLoader} or of a subclass: loading and defining classes;</li>
 *   <li>a frame of {@code java.lang.invoke.MethodHandleNatives}: the VM's entry for linking call
 *       sites, dynamic constants, method types and method handle constants (lambdas, string
 *       concatenation, records' {@code toString}, pattern switches);</li>
 *   <li>a frame of a package the user masked ({@code Masking.maskPackage}): a library whose
 *       shared state does not survive an exception at any allocation.</li>
 * </ul>
 * Masked code ({@code Masking}, the engine's own bookkeeping) defers every way too; that is read
 * from the thread's mask depth, not from frames.
 *
 * <p>Rules at the top of the stack, the frames above the first one that is neither the JDK's nor
 * the library's - the code the interrupt would cut short:
 * <ul>
 *   <li>the library's own code (an engine frame, or a public class's: a {@code Token.set} in the
 *       task, the record a limit function returns), at a sample, a wake-up and an outside stop;
 *       at a checkpoint the library's frames are the checkpoint itself;</li>
 *   <li>a native method at the top, at a sample (a JNI allocation from native code, which may
 *       not expect an exception to become pending) and at an outside stop (the exception would
 *       arise when the method returns, in its caller);</li>
 *   <li>at an outside stop, JDK code whose shared state an asynchronous exception would corrupt
 *       ({@link #GUARDED_JDK_PACKAGES}, {@link #GUARDED_JDK_CLASSES}): the locks and queues of
 *       {@code java.util.concurrent}, {@code java.lang.invoke}, reflection, {@code jdk.*} and
 *       {@code sun.*}, threads and thread locals, class values, jar files. A sample arises only
 *       at an allocation, where JDK code is ready for an {@code OutOfMemoryError}; an outside stop
 *       arises at a loop's back edge, anywhere in a method. {@code java.util.regex},
 *       {@code String}, collections, streams and {@code java.util.zip}'s streams stay
 *       stoppable, and so does all code outside the JDK;</li>
 *   <li>at an outside stop, a top frame whose current bytecode may call into the VM (an invoke,
 *       an allocation, a field access, a constant, a type check, a monitor, a throw or a return):
 *       there the thread may be suspended inside the VM, which delivers the exception at its
 *       next transition to Java - possibly the call of a {@code <clinit>} or a class loader. The
 *       stop is installed only at a plain bytecode (a branch, arithmetic, a local or array
 *       access), where the suspended thread stands at a safepoint poll of its own code, and the
 *       exception arises right there when it resumes.</li>
 * </ul>
 *
 * <p>At a sample only: a sampled object that is a {@code Class} or a {@code java.lang.invoke}
 * object (one the VM allocates for itself while it resolves a class, a method type or a call
 * site at the top frame's bytecode, with no Java frame of its own); and an allocating frame whose
 * current bytecode allocates nothing by itself once linked ({@code invokedynamic}, {@code ldc},
 * field accesses, {@code checkcast}, {@code instanceof}): the allocation is the VM's, linking
 * the call site, resolving the constant, or loading and initializing a class (the shim reads the
 * opcode with JVMTI GetBytecodes, only when an interrupt is due). What remains there: allocations
 * the VM makes for itself while it links a class or resolves a member at a {@code new},
 * {@code anewarray} or invoke bytecode (a constant pool array, say) are not told apart from the
 * bytecode's own. An interrupt there fails the resolution the way an {@code OutOfMemoryError}
 * would; HotSpot records a resolution error only for a {@code LinkageError} (JVMS 5.4.3;
 * {@code ConstantPool::save_and_throw_exception}), which the interrupt is not, so the resolution
 * is retried when the bytecode runs again and nothing JVM-global is poisoned.
 *
 * <p>What the policy does not cover: user code's own invariants. An outside stop arises at a
 * back edge like {@code Thread.stop}'s exception did, possibly in the middle of an update of a
 * data structure that outlives the task; mask such code ({@code Masking}, {@code Resource}) or
 * its package.
 */
final class RaiseSafety {
    private static final StackWalker WALKER =
            StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final String INTERNAL_PACKAGE = RaiseSafety.class.getPackageName();
    private static final String INTERNAL_PREFIX = INTERNAL_PACKAGE + ".";
    private static final String LINKAGE_ENTRY = "java.lang.invoke.MethodHandleNatives";

    private RaiseSafety() {
    }

    /** Public classes whose frames are the library's own (nested classes included). */
    private static final Set<String> LIBRARY_CLASSES = Set.of(
            "org.memproflimits.MemprofLimits", "org.memproflimits.Masking", "org.memproflimits.Resource",
            "org.memproflimits.Guarded", "org.memproflimits.Token", "org.memproflimits.Result",
            "org.memproflimits.Memprof", "org.memproflimits.Profile",
            "org.memproflimits.InterruptibleCharSequence");

    /** The ways an interrupt arises; the rules that differ between them are in the class comment. */
    enum Arising {
        /** At a sampled allocation, from the sample callback in the allocating thread. */
        SAMPLE,
        /** At {@code MemprofLimits.checkpoint()}, called by the task's own code. */
        CHECKPOINT,
        /** A {@code Thread.interrupt()} of a blocked task, from the stopper. */
        WAKE_UP,
        /** A JVMTI StopThread of a suspended task that runs without reaching a sample. */
        OUTSIDE_STOP
    }

    /**
     * The predicate: fed a thread's frames innermost first, it finds the first reason to defer.
     * One walk per decision; not thread-safe.
     */
    static final class Walk {
        private final Arising how;
        private boolean first = true;
        private boolean atTop = true;
        /** The top frame returns: the exception would arise in the next frame, its caller. */
        private boolean returning;
        private String reason;

        Walk(Arising how) {
            this.how = how;
        }

        /**
         * Feeds the next frame.
         *
         * @param c the frame's declaring class
         * @param method its method's name
         * @param isNative whether it is a native method
         * @param opcode the top frame's current bytecode at an outside stop, else -1
         * @return false once a reason to defer is found ({@link #reason()}); then stop feeding
         */
        boolean accept(Class<?> c, String method, boolean isNative, int opcode) {
            boolean top = first;
            if (first) {
                first = false;
                if (isNative && (how == Arising.SAMPLE || how == Arising.OUTSIDE_STOP)) {
                    return defer("a native method at the top");
                }
                if (how == Arising.OUTSIDE_STOP && (opcode < 0 || CALLS_INTO_VM[opcode])) {
                    return defer("a bytecode that may call into the VM at the top");
                }
                returning = how == Arising.OUTSIDE_STOP && isReturn(opcode);
            } else if (returning) {
                returning = false;
                if (isNative) {
                    return defer("a return to a native method");
                }
            }
            // A returning top frame is being left: the top-of-stack rules start at its caller -
            // unless it is the library's own, whose return may hand something to its caller.
            boolean leaving = top && returning;
            if (leaving && isLibrary(c)) {
                return defer("the library's own code");
            }
            if (atTop && how != Arising.CHECKPOINT && !leaving) {
                if (isLibrary(c)) {
                    return defer("the library's own code");
                }
                if (!isJdk(c)) {
                    atTop = false;
                } else if (how == Arising.OUTSIDE_STOP && isGuardedJdk(c.getName())) {
                    return defer("JDK internals at the top");
                }
            }
            if (method.equals("<clinit>")) {
                return defer("a static initializer");
            }
            if (ClassLoader.class.isAssignableFrom(c)) {
                return defer("class loading");
            }
            String name = c.getName();
            if (name.equals(LINKAGE_ENTRY)) {
                return defer("call-site linkage");
            }
            if (isInMaskedPackage(name)) {
                return defer("a masked package");
            }
            return true;
        }

        private boolean defer(String why) {
            reason = why;
            return false;
        }

        /** @return the reason to defer found so far, or null: the frames fed allow the interrupt */
        String reason() {
            return reason;
        }
    }

    /**
     * @param sampled the class of the sampled object
     * @return whether an interrupt may arise at this sampled allocation
     */
    static boolean canRaiseHere(Class<?> sampled) {
        if (sampled == Class.class || sampled.getPackageName().equals("java.lang.invoke")) {
            return false;
        }
        if (!WALKER.walk(SAMPLE_WALK)) {
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
        return WALKER.walk(CHECKPOINT_WALK);
    }

    private static final Function<Stream<StackFrame>, Boolean> CHECKPOINT_WALK = frames -> {
        Walk walk = new Walk(Arising.CHECKPOINT);
        Iterator<StackFrame> it = frames.iterator();
        while (it.hasNext()) {
            StackFrame f = it.next();
            if (!walk.accept(f.getDeclaringClass(), f.getMethodName(), f.isNativeMethod(), -1)) {
                return Boolean.FALSE;
            }
        }
        return Boolean.TRUE;
    };

    /** The sample's walk: the callback's own frames, above the allocating frame, are skipped. */
    private static final Function<Stream<StackFrame>, Boolean> SAMPLE_WALK = frames -> {
        Walk walk = new Walk(Arising.SAMPLE);
        Iterator<StackFrame> it = frames.iterator();
        boolean inCallback = true;
        while (it.hasNext()) {
            StackFrame f = it.next();
            if (inCallback && isCallback(f)) {
                continue;
            }
            inCallback = false;
            if (!walk.accept(f.getDeclaringClass(), f.getMethodName(), f.isNativeMethod(), -1)) {
                return Boolean.FALSE;
            }
        }
        return Boolean.TRUE;
    };

    /** Whether {@code f} is one of the callback's frames, above the allocating frame. */
    private static boolean isCallback(StackFrame f) {
        Class<?> c = f.getDeclaringClass();
        String m = f.getMethodName();
        return (c == Engine.class && m.equals("onSample"))
                || (c == ThreadLimits.class && m.equals("onSample"))
                || (c == RaiseSafety.class && (m.equals("canRaiseHere") || m.startsWith("lambda$")));
    }

    /**
     * JDK packages where an outside stop may not arise at the top (prefixes, with their final
     * dot): shared locks, queues, caches and the VM's own Java code.
     */
    static final String[] GUARDED_JDK_PACKAGES = {
        "java.util.concurrent.", "java.lang.invoke.", "java.lang.reflect.", "java.lang.ref.",
        "java.lang.module.", "java.security.", "java.util.logging.", "java.util.jar.", "jdk.",
        "sun.", "com.sun.", "javax.security."};

    /** JDK classes (and their nested classes) where an outside stop may not arise at the top. */
    static final Set<String> GUARDED_JDK_CLASSES = Set.of(
        "java.lang.Thread", "java.lang.ThreadLocal", "java.lang.InheritableThreadLocal",
        "java.lang.ThreadGroup", "java.lang.VirtualThread", "java.lang.ClassValue",
        "java.lang.Class", "java.lang.System", "java.lang.Runtime", "java.lang.Shutdown",
        "java.lang.Module", "java.lang.ModuleLayer", "java.lang.StackWalker",
        "java.lang.StackStreamFactory", "java.lang.ProcessBuilder", "java.lang.ProcessImpl",
        "java.lang.ProcessHandleImpl", "java.util.zip.ZipFile", "java.io.ObjectStreamClass",
        "java.util.ResourceBundle", "java.util.ServiceLoader", "java.util.Timer",
        "java.util.TimerThread");

    /** Whether a JDK class of this name is guarded: see {@link #GUARDED_JDK_PACKAGES}. */
    static boolean isGuardedJdk(String className) {
        for (String p : GUARDED_JDK_PACKAGES) {
            if (className.startsWith(p)) {
                return true;
            }
        }
        int nested = className.indexOf('$');
        return GUARDED_JDK_CLASSES.contains(nested < 0 ? className : className.substring(0, nested));
    }

    /**
     * Bytecodes at which a suspended thread may be inside the VM rather than at a safepoint poll
     * of its own code (see the class comment): everything but branches, returns, arithmetic,
     * conversions, comparisons, constants pushed without resolution, and local, stack and array
     * accesses. At a return, compiled code polls after its frame is gone and HotSpot delivers
     * the exception in the caller, right after the call (SafepointSynchronize's return poll
     * deoptimizes the caller for it): {@link #isReturn} tells the walk to apply the top-of-stack
     * rules from the caller on, which must not be native.
     */
    private static final boolean[] CALLS_INTO_VM = new boolean[256];

    static {
        for (int op = 0x12; op <= 0x14; op++) {
            CALLS_INTO_VM[op] = true;                       // ldc, ldc_w, ldc2_w
        }
        for (int op = 0xb2; op <= 0xff; op++) {
            CALLS_INTO_VM[op] = true;   // field accesses, invokes, new, newarray, anewarray,
                                        // arraylength.., athrow, checkcast, instanceof,
                                        // monitors, wide, multianewarray, ifnull.., breakpoint
        }
        // Back to plain: arraylength, wide, ifnull, ifnonnull, goto_w.
        CALLS_INTO_VM[0xbe] = false;
        CALLS_INTO_VM[0xc4] = false;
        CALLS_INTO_VM[0xc6] = false;
        CALLS_INTO_VM[0xc7] = false;
        CALLS_INTO_VM[0xc8] = false;
    }

    /** ireturn, lreturn, freturn, dreturn, areturn, return. */
    static boolean isReturn(int opcode) {
        return opcode >= 0xac && opcode <= 0xb1;
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

    /**
     * By name, nested and lambda classes with their host: {@code Class.getNestHost} could load
     * a class, which a stopper worker must not do while its target is suspended.
     */
    private static boolean isLibrary(Class<?> c) {
        String name = c.getName();
        if (name.startsWith(INTERNAL_PREFIX) && name.indexOf('.', INTERNAL_PREFIX.length()) < 0) {
            return true;
        }
        int nested = name.indexOf('$');
        return LIBRARY_CLASSES.contains(nested < 0 ? name : name.substring(0, nested));
    }

    /** Removes the engine's own frames from the top of the interrupt's stack trace. */
    static Throwable trimmed(Throwable t) {
        StackTraceElement[] trace = t.getStackTrace();
        int first = 0;
        while (first < trace.length && trace[first].getClassName().startsWith(INTERNAL_PREFIX)) {
            first++;
        }
        if (first > 0 && first < trace.length) {
            t.setStackTrace(Arrays.copyOfRange(trace, first, trace.length));
        }
        return t;
    }
}
