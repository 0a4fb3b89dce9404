package org.memproflimits;

/**
 * The kind of limit that interrupted a task, as reported by {@link Result.Interrupted#limit()}.
 *
 * <pre>{@code
 * Result<Void> r = MemprofLimits.limitWithToken(token, () -> { work(); return null; });
 * if (r instanceof Result.Interrupted<Void> i && i.limit() == Limit.TOKEN) log("cancelled");
 * }</pre>
 */
public enum Limit {
    /** The heap's occupancy exceeded {@link MemprofLimits#globalMemoryLimit()}. */
    GLOBAL_MEMORY,
    /** The task allocated more bytes than its allocation limit. */
    ALLOCATIONS,
    /** The task's {@link Token} was set. */
    TOKEN,
    /** The task ran for longer than its wall-clock limit ({@link MemprofLimits#limitTime}). */
    TIME,
    /** The task used more CPU time than its limit ({@link MemprofLimits#limitCpuTime}). */
    CPU_TIME
}
