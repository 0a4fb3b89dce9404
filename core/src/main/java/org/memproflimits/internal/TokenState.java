package org.memproflimits.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token's flag and the scopes currently running under it, so that setting the token also
 * wakes tasks blocked in {@code sleep}, {@code wait}, {@code park} or interruptible I/O, which
 * allocate nothing and so never reach a sample.
 */
public final class TokenState {
    private volatile boolean set;
    private final Set<LimitScope.TokenLimit> running = ConcurrentHashMap.newKeySet();

    public boolean isSet() {
        return set;
    }

    /** Sets the flag, then interrupts the thread of every task running under it. */
    public void set() {
        if (set) {
            return;
        }
        set = true;
        for (LimitScope.TokenLimit scope : running) {
            scope.wake();
        }
    }

    void register(LimitScope.TokenLimit scope) {
        running.add(scope);
        if (set) {
            scope.wake();       // set() may have iterated before the add: wake it ourselves
        }
    }

    void unregister(LimitScope.TokenLimit scope) {
        running.remove(scope);
    }
}
