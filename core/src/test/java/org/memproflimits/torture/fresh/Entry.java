package org.memproflimits.torture.fresh;

import org.memproflimits.torture.FreshHooks;
import org.memproflimits.torture.FreshWork;

/**
 * The entry of the fresh classes: its static initializer hands an instance to its loader (so
 * no reflection is needed to call it), and {@link #run} drives the other fresh classes in a
 * random order. Every step that fails with a {@link LinkageError} - an erroneous class, a call
 * site that failed to link - is reported to {@link FreshHooks} before it propagates.
 */
public final class Entry implements FreshWork {
    static final int STEPS = 12;
    static final long SALT;

    static {
        long s = 0;
        for (int i = 0; i < 32; i++) {
            s += new byte[8192].length + ("entry-" + i).hashCode();   // 256 KiB, and a concat
        }
        SALT = s;
        FreshHooks.publish(new Entry());
        FreshHooks.initialized();
    }

    private Entry() {
    }

    @Override
    public long run(long seed, int steps) {
        long x = seed | 1;
        long acc = SALT;
        for (int i = 0; i < steps; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            acc += step((int) ((x >>> 1) % STEPS), x);
        }
        return acc;
    }

    @Override
    public long verify() {
        long acc = 0;
        for (int s = 0; s < STEPS; s++) {
            acc += step(s, 7919L * (s + 1));
        }
        return acc;
    }

    @Override
    public long runStep(int which, long x) {
        return step(which, x);
    }

    private static long step(int which, long x) {
        try {
            switch (which) {
                case 0: return HeavyA.digest(x);
                case 1: return HeavyB.digest(x);
                case 2: return Lambdas.run(x);
                case 3: return Concat.run(x);
                case 4: return Rec.run(x);
                case 5: return ShadeUser.run(x);
                case 6: return FreshArrays.run(x);
                case 7: return new Square((int) (x & 7)).twice();
                case 8: return Streams.run(x);
                case 9: return new Object() {
                        long f() {
                            return x + HeavyC.DIGEST + ("anon" + x).length();
                        }
                    }.f();
                case 10: return FreshHooks.ioInInitializer() ? IoInit.run(x) : x;
                default: return FreshHooks.sleepInInitializer() ? SleepyInit.run(x) : x;
            }
        } catch (LinkageError e) {
            FreshHooks.linkageFailure(e);
            throw e;
        }
    }
}
