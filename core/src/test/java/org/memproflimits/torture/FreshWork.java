package org.memproflimits.torture;

/**
 * What the entry class of a fresh class loader offers the torture: it is loaded by the test's
 * own class loader, so that code loaded by a {@link FreshLoader} can implement it.
 */
public interface FreshWork {
    /**
     * Runs {@code steps} random operations on the fresh classes: static initializers, lambdas,
     * string concatenations, records, enum switches, arrays of fresh classes, streams.
     *
     * @param seed picks the operations
     * @param steps how many
     * @return a checksum, so that nothing is optimised away
     */
    long run(long seed, int steps);

    /**
     * Touches every fresh class and every call site once; run outside limits after the torture
     * to prove that no class was left erroneous and no call site left unlinkable.
     *
     * @return a checksum
     */
    long verify();

    /**
     * Runs one operation: 0 HeavyA, 1 HeavyB (initializes HeavyC), 2 lambdas, 3 string
     * concatenation, 4 record, 5 enum switch, 6 arrays, 7 interface with a default method,
     * 8 stream, 9 anonymous class, 10 IoInit (if enabled), 11 SleepyInit (if enabled).
     *
     * @param which the operation
     * @param x its argument
     * @return a checksum
     */
    long runStep(int which, long x);
}
