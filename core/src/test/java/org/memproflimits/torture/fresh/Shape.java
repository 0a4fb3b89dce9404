package org.memproflimits.torture.fresh;

import java.util.function.IntSupplier;
import org.memproflimits.torture.FreshHooks;

/** An interface with a default method and a static field: it is initialized with its implementor. */
interface Shape {
    IntSupplier BASE = Init.make();

    int side();

    default long twice() {
        return 2L * side() + BASE.getAsInt();
    }

    final class Init {
        private Init() {
        }

        static IntSupplier make() {
            int[] big = new int[65536];                     // 256 KiB
            big[7] = 7;
            FreshHooks.initialized();
            return () -> big[7];
        }
    }
}
