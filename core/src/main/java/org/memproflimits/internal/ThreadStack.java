package org.memproflimits.internal;

import java.util.HashMap;

/**
 * Another thread's stack, read through JVMTI by the stopper, with what the hazard policy needs
 * to know of its frames: declaring class, method name, the top frame's current bytecode.
 *
 * <p>Confined to one thread (the stopper's coordinator, or one worker), so its method cache is a
 * plain map; it lives for one reading of the stack only (deep recursion repeats methods), so
 * that it never keeps a class, and its loader, from being unloaded. A worker uses it while its target is suspended, so nothing here takes a lock, loads
 * a class or links a call site: no lambdas, no string concatenation, only classes the engine's
 * warm-up has already used ({@link #warmUp}). It allocates (arrays, map entries, the names the
 * JVM returns), which is safe: allocation takes no lock that a suspended Java thread can hold.
 */
final class ThreadStack {

    private long[] methods = new long[128];
    private int[] locations = new int[128];
    private int depth;
    private final HashMap<Long, Method> cache = new HashMap<>();

    private static final class Method {
        final long id;
        final Class<?> declaringClass;
        final String name;
        final byte[] code;
        int[] lines;
        boolean linesRead;

        Method(long id, Class<?> declaringClass, String name, byte[] code) {
            this.id = id;
            this.declaringClass = declaringClass;
            this.name = name;
            this.code = code;
        }
    }

    /** Reads the thread's frames; false if it cannot (the thread ended, say). */
    boolean read(Thread thread) {
        cache.clear();
        while (true) {
            int n = NativeSampler.stackTrace(thread, methods, locations);
            if (n < 0) {
                depth = 0;
                return false;
            }
            if (n <= methods.length) {
                depth = n;
                return true;
            }
            methods = new long[2 * n];
            locations = new int[2 * n];
        }
    }

    /** Where the thread stands: its top method, bytecode index and depth, hashed; never 0. */
    long where() {
        long h = depth == 0 ? 1 : methods[0] * 31 + locations[0] * 1_000_003L + depth;
        return h == 0 ? 1 : h;
    }

    /** @return the number of frames read */
    int depth() {
        return depth;
    }

    private Method method(int frame) {
        long id = methods[frame];
        Long key = id;
        Method m = cache.get(key);
        if (m == null) {
            m = new Method(id, NativeSampler.declaringClass(id), NativeSampler.methodName(id),
                    NativeSampler.bytecodes(id));
            cache.put(key, m);
        }
        return m;
    }

    /** The top frame's current opcode, or -1 if it cannot be read. */
    private int topOpcode(Method top) {
        int bci = locations[0];
        if (top.code == null || bci < 0 || bci >= top.code.length) {
            return -1;
        }
        return top.code[bci] & 0xff;
    }

    /** The first reason the policy finds to defer an interrupt arising {@code how}; null if none. */
    String deferral(RaiseSafety.Arising how) {
        if (depth == 0) {
            return "no Java frame";
        }
        RaiseSafety.Walk walk = new RaiseSafety.Walk(how);
        for (int i = 0; i < depth; i++) {
            Method m = method(i);
            if (m.declaringClass == null || m.name == null) {
                return "a frame that cannot be read";
            }
            int opcode = i == 0 && how == RaiseSafety.Arising.OUTSIDE_STOP ? topOpcode(m) : -1;
            if (!walk.accept(m.declaringClass, m.name, locations[i] < 0, opcode)) {
                return walk.reason();
            }
        }
        return null;
    }

    /**
     * Whether the thread, read as running, is blocked in interruptible I/O: a native method of
     * NIO's channels at the top (other natives - nanoTime, arraycopy - mean it is running).
     */
    boolean inInterruptibleIo() {
        if (depth == 0 || locations[0] >= 0) {
            return false;
        }
        Method m = method(0);
        return m.declaringClass != null && m.declaringClass.getName().startsWith("sun.nio.ch.");
    }

    /** The frames as a stack trace, for the interrupt that an outside stop installs. */
    StackTraceElement[] trace() {
        StackTraceElement[] trace = new StackTraceElement[depth];
        for (int i = 0; i < depth; i++) {
            Method m = method(i);
            String className = m.declaringClass == null ? "?" : m.declaringClass.getName();
            String file = m.declaringClass == null ? null : NativeSampler.sourceFile(m.declaringClass);
            trace[i] = new StackTraceElement(className, m.name == null ? "?" : m.name, file,
                    locations[i] < 0 ? -2 : line(m, locations[i]));
        }
        return trace;
    }

    private static int line(Method m, int bci) {
        if (!m.linesRead) {
            m.lines = NativeSampler.lineNumbers(m.id);
            m.linesRead = true;
        }
        int[] lines = m.lines;
        int line = -1;
        int best = -1;
        for (int i = 0; lines != null && i + 1 < lines.length; i += 2) {
            if (lines[i] <= bci && lines[i] > best) {
                best = lines[i];
                line = lines[i + 1];
            }
        }
        return line;
    }

    /**
     * Runs every path of this class once on the calling thread's own stack, so that a worker
     * never resolves a constant or links a call site here for the first time while its target
     * is suspended.
     */
    static void warmUp() {
        ThreadStack stack = new ThreadStack();
        if (stack.read(Thread.currentThread())) {
            for (RaiseSafety.Arising how : RaiseSafety.Arising.values()) {
                stack.deferral(how);
            }
            stack.inInterruptibleIo();
            stack.trace();
        }
    }
}
