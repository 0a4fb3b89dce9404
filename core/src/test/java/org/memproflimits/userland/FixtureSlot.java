package org.memproflimits.userland;

import java.util.function.IntFunction;

/** Where the static initializer of a freshly loaded {@link SafetyFixture} publishes itself. */
public final class FixtureSlot {
    /** The instance made by the most recent successful initialization of a SafetyFixture. */
    public static volatile IntFunction<String> current;

    private FixtureSlot() {
    }
}
