package org.memproflimits.userland.fragile;

import org.memproflimits.MemprofLimits;

/** Stands for a third-party library whose package a test masks (MaskedPackageTest). */
public final class FragileLibrary {
    private static volatile Object sink;

    private FragileLibrary() {
    }

    /** Allocates {@code bytes} in 1 KiB arrays; returns how many it allocated. */
    public static long churn(long bytes) {
        long done = 0;
        while (done < bytes) {
            sink = new byte[1024];
            done += 1024;
        }
        return done;
    }

    /** Calls a checkpoint, then returns true: it was not interrupted there. */
    public static boolean checkpoint() {
        MemprofLimits.checkpoint();
        return true;
    }

    /** Sleeps; returns true if the sleep ended by itself, false if the thread was interrupted. */
    public static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
