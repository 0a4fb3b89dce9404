package org.memproflimits;

/**
 * A view of a character sequence that lets a limit stop the code reading it, even when that code
 * allocates nothing: a regular expression engine backtracking, above all.
 *
 * <h2>What it is</h2>
 * {@code java.util.regex} allocates nothing while it backtracks: {@code ((a+)+)+b} against 24
 * {@code a}s runs about 0.5 s having allocated under 1 KiB, matcher included
 * ({@code scripts/checkpoint-bench.sh}, JDK 17 and 25), and each more {@code a} doubles that.
 * No allocation sample ever comes, so a token set by a timeout would not stop it. Matching
 * over this view instead of the text itself calls {@link MemprofLimits#checkpoint()} every
 * 4096 characters read, which raises the interrupt of a limit that is reached - the classic
 * "interruptible char sequence" idiom, wired to this library's limits.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>It reads through to the wrapped sequence: same length, characters and
 *       {@code toString()}; {@code subSequence} returns a view of the same kind.</li>
 *   <li>Once a limit of the reading thread is reached, the interrupt arises within 4096
 *       characters read (unless the thread is {@linkplain Masking masked}: then at the first
 *       checkpoint or sample after the mask ends).</li>
 *   <li>Reading costs a counter decrement per character, one more call to reach the wrapped
 *       sequence, and a checkpoint every 4096 characters. Measured side by side with matching
 *       the {@code String} itself ({@code scripts/checkpoint-bench.sh}, JDK 17 and 25): 1.04-1.05x
 *       for a backtracking pattern, 1.19-1.25x for a linear scan ({@code find} over 1 MiB), the
 *       same inside a task with all three limits armed.</li>
 *   <li>A runaway match stops within a few milliseconds of its token being set: in that
 *       benchmark, 200 of 200, {@code set()} to {@code Interrupted} p50 0.22-0.23 ms, p99
 *       2.1-2.3 ms on a busy two-core machine. Much of it is the depth of the backtracking
 *       stack, walked for the raise-safety check and captured in the exception: a shallow loop
 *       calling {@link MemprofLimits#checkpoint()} stopped at p50 0.07-0.08 ms, p99
 *       0.76-0.89 ms in the same run.</li>
 *   <li>A view is meant for one matcher in one thread; shared between threads it stays correct,
 *       but its checks may come less regularly.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Token token = new Token();
 * scheduler.schedule(token::set, 100, TimeUnit.MILLISECONDS);
 * Pattern pattern = Pattern.compile(userPattern);
 * Result<Boolean> r = MemprofLimits.limitWithToken(token,
 *         () -> pattern.matcher(InterruptibleCharSequence.of(userInput)).matches());
 * }</pre>
 */
public final class InterruptibleCharSequence implements CharSequence {
    /** Characters read between two checkpoints: a few microseconds of matching. */
    private static final int CHECK_EVERY = 4096;

    private final CharSequence text;
    private int untilCheck = CHECK_EVERY;

    private InterruptibleCharSequence(CharSequence text) {
        this.text = text;
    }

    /**
     * @param text the sequence to read through
     * @return a view of {@code text} that checks the reading thread's limits as it is read
     * @throws NullPointerException if {@code text} is null
     */
    public static InterruptibleCharSequence of(CharSequence text) {
        if (text == null) {
            throw new NullPointerException("text must not be null");
        }
        return new InterruptibleCharSequence(text);
    }

    @Override
    public char charAt(int index) {
        if (--untilCheck <= 0) {
            untilCheck = CHECK_EVERY;
            MemprofLimits.checkpoint();
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new InterruptibleCharSequence(text.subSequence(start, end));
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
