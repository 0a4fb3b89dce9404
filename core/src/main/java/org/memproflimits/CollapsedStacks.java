package org.memproflimits;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes a {@link ProfileSnapshot} as collapsed stacks, the text format of Brendan Gregg's
 * {@code flamegraph.pl}, speedscope, async-profiler's converter and most flame graph viewers.
 *
 * <h2>What it is</h2>
 * One line per distinct stack: the frames from the root to the innermost, separated by
 * {@code ;}, then the allocated class as the last frame, a space, and the value (estimated
 * bytes by default):
 * <pre>
 * java.lang.Thread.run;com.example.Server.handle;com.example.Json.parse;char[] 1048576
 * </pre>
 * A frame is written {@code package.Class.method}, or {@code package.Class.method:line} with line
 * numbers.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Each stack appears on one line: sites that differ only in what the chosen format leaves
 *       out (line numbers) are added up. Lines are sorted, so equal snapshots give equal text.</li>
 *   <li>Frames never contain {@code ;} or a line break (such characters, which only unusual
 *       class files can have in names, become {@code _}); lines end with {@code \n}.</li>
 *   <li>The writer is flushed, not closed.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * try (Writer out = Files.newBufferedWriter(Path.of("alloc.collapsed"))) {
 *     CollapsedStacks.write(allocations.snapshot(), out);
 * }
 * // then: flamegraph.pl --colors=java alloc.collapsed > alloc.svg, or open it in speedscope.app
 * }</pre>
 */
public final class CollapsedStacks {
    /** What the number at the end of each line counts. */
    public enum Value {
        /** Estimated bytes (the sum of the samples' weights). */
        BYTES,
        /** Samples. */
        SAMPLES
    }

    private CollapsedStacks() {
    }

    /**
     * Writes estimated bytes by stack, frames without line numbers.
     *
     * @param snapshot the profile, not null
     * @param out where to write, not null
     * @throws IOException if {@code out} fails
     */
    public static void write(ProfileSnapshot snapshot, Writer out) throws IOException {
        write(snapshot, out, Value.BYTES, false);
    }

    /**
     * Writes the profile with a choice of value and frame format.
     *
     * @param snapshot the profile, not null
     * @param out where to write, not null
     * @param value what each line counts, not null
     * @param lineNumbers whether frames end with {@code :line} (when the line is known)
     * @throws IOException if {@code out} fails
     */
    public static void write(ProfileSnapshot snapshot, Writer out, Value value, boolean lineNumbers)
            throws IOException {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(value, "value");
        Map<String, Long> lines = new TreeMap<>();
        StringBuilder sb = new StringBuilder();
        for (ProfileSnapshot.Site site : snapshot.sites()) {
            sb.setLength(0);
            List<StackTraceElement> stack = site.stack();
            for (int i = stack.size() - 1; i >= 0; i--) {
                appendFrame(sb, stack.get(i), lineNumbers);
                sb.append(';');
            }
            appendClean(sb, site.type());
            long v = value == Value.BYTES ? site.bytes() : site.samples();
            lines.merge(sb.toString(), v, Long::sum);
        }
        for (Map.Entry<String, Long> line : lines.entrySet()) {
            out.write(line.getKey());
            out.write(' ');
            out.write(Long.toString(line.getValue()));
            out.write('\n');
        }
        out.flush();
    }

    /**
     * @param frame a stack frame
     * @param lineNumber whether to add {@code :line} when the line is known
     * @return the frame as a collapsed-stack frame: {@code package.Class.method[:line]}
     */
    public static String frame(StackTraceElement frame, boolean lineNumber) {
        StringBuilder sb = new StringBuilder();
        appendFrame(sb, frame, lineNumber);
        return sb.toString();
    }

    private static void appendFrame(StringBuilder sb, StackTraceElement f, boolean lineNumber) {
        appendClean(sb, f.getClassName());
        sb.append('.');
        appendClean(sb, f.getMethodName());
        if (lineNumber && f.getLineNumber() >= 0) {
            sb.append(':').append(f.getLineNumber());
        }
    }

    private static void appendClean(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c == ';' || c == '\n' || c == '\r' ? '_' : c);
        }
    }
}
