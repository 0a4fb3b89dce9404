package org.memproflimits.userland;

import java.io.Serializable;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A class that {@code JvmStateSafetyTest} loads afresh, in a new {@link FreshLoader}, for every
 * task, so that its static initializer runs again and every call site in it is linked again.
 *
 * <p>Its static initializer allocates {@value #HEAVY_MIB} MiB and links a lambda and a string
 * concatenation; {@link #apply(int)} links one fresh kind of call site or initializes one fresh
 * class, then allocates, so that an interrupt that was due arises there, after the linkage.
 */
public final class SafetyFixture implements java.util.function.IntFunction<String> {
    /** The number of cases of {@link #apply(int)}. */
    public static final int CASES = 10;
    static final int HEAVY_MIB = 24;

    private static final byte[][] SMALL;
    private static final byte[][] LARGE;
    private static final String GREETING;
    private static final long CHECKSUM;

    static {
        // 8 MiB in 4 KiB arrays (many samples) and 16 MiB in 1 MiB arrays.
        SMALL = new byte[8 * 256][];
        long sum = 0;
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = new byte[4096];
            SMALL[i][i % 4096] = (byte) i;
            sum += SMALL[i][i % 4096];
        }
        LARGE = new byte[HEAVY_MIB - 8][];
        for (int i = 0; i < LARGE.length; i++) {
            LARGE[i] = new byte[1 << 20];
            LARGE[i][i] = 1;
            sum += LARGE[i][i];
        }
        Supplier<String> hello = () -> "hello";
        GREETING = hello.get() + " from " + SafetyFixture.class.getSimpleName() + " #" + SMALL.length;
        CHECKSUM = sum;
        FixtureSlot.current = new SafetyFixture();
    }

    /** A record whose toString, equals and hashCode are linked on first use. */
    record Point(int x, String y) {
    }

    enum Color { RED, GREEN, BLUE }

    /** A nested class initialized on first use, inside {@link #apply(int)}. */
    static final class Inner {
        static final String VALUE;

        static {
            byte[][] junk = new byte[1024][];
            for (int i = 0; i < junk.length; i++) {
                junk[i] = new byte[2048];
            }
            Userland.sink = junk;
            VALUE = "inner:" + junk.length;
        }
    }

    /** A nested class whose static initializer allocates for a long time; see SlowInit.run. */
    public static final class SlowInit {
        public static final long ALLOCATED;

        static {
            long done = 0;
            // 32 MiB in 1 KiB arrays (many samples) then 480 MiB in 1 MiB arrays, each stored
            // where it escapes, so that no compiler can remove the allocation.
            for (int i = 0; i < 32 * 1024; i++) {
                Userland.sink = new byte[1024];
                done += 1024;
            }
            for (int i = 0; i < 480; i++) {
                Userland.sink = new byte[1 << 20];
                done += 1 << 20;
            }
            ALLOCATED = done;
        }
    }

    /** @return a description of the static state, to check that initialization completed */
    public static String state() {
        return GREETING + " checksum=" + CHECKSUM + " small=" + SMALL.length + " large=" + LARGE.length;
    }

    /**
     * Links one fresh kind of call site, or initializes one fresh class, then allocates.
     *
     * <p>Each case runs in its own method, named after it. In the methods marked "no allocation
     * after linkage", nothing allocates once the call site is linked or the class initialized
     * (non-capturing lambdas and method references evaluate to a constant, the string methods
     * allocate in frames of their own): an interrupt whose top frame is one of these methods
     * arose while the VM linked that call site or initialized that class.
     */
    @Override
    public String apply(int which) {
        String s;
        switch (which) {
            case 0: s = nonCapturingLambda(); break;
            case 1: s = capturingLambda(which); break;
            case 2: s = concatenation(which); break;
            case 3: s = recordToString(which); break;
            case 4: s = recordEqualsAndHashCode(which); break;
            case 5: s = methodReference(); break;
            case 6: s = serializableLambda(); break;
            case 7: s = nestedClassInitialization(); break;
            case 8: s = enumSwitch(); break;
            case 9: s = concatenationOfManyKinds(which); break;
            default:
                throw new IllegalArgumentException("which = " + which + " is outside [0, " + CASES + ")");
        }
        // After the linkage: allocations where an interrupt that is due can arise.
        Userland.churn(512 * 1024, 1024);
        return s;
    }

    private static String nonCapturingLambda() {
        Supplier<String> f = () -> "lambda";
        return f.get();
    }

    private static String capturingLambda(int which) {
        int x = which * 7;
        IntSupplier f = () -> x + 1;
        return String.valueOf(f.getAsInt());
    }

    private static String concatenation(int which) {
        return "concat " + which + ' ' + GREETING;
    }

    private static String recordToString(int which) {
        return new Point(which, "p").toString();
    }

    private static String recordEqualsAndHashCode(int which) {
        Point p = new Point(which, "q");
        return String.valueOf(p.equals(new Point(which, "q"))).concat(String.valueOf(p.hashCode()));
    }

    private static String methodReference() {
        Function<String, Integer> f = String::length;
        return f.apply("method reference") == 16 ? "sixteen" : "other";
    }

    private static String serializableLambda() {
        Supplier<String> f = (Supplier<String> & Serializable) () -> "serializable";
        return f.get();
    }

    private static String nestedClassInitialization() {
        return Inner.VALUE;
    }

    private static String enumSwitch() {
        return describe(Color.GREEN);
    }

    private static String concatenationOfManyKinds(int which) {
        return "many " + which + ' ' + 2.5 + ' ' + 'c' + ' ' + true + ' ' + 7L + ' ' + (Object) null;
    }

    private static String describe(Color c) {
        switch (c) {
            case RED: return "red";
            case GREEN: return "green";
            default: return "blue";
        }
    }
}
