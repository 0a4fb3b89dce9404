package org.memproflimits.tools;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import one.convert.Arguments;
import one.convert.CallStack;
import one.convert.FlameGraph;
import one.convert.Frame;
import org.memproflimits.CollapsedStacks;
import org.memproflimits.ProfileSnapshot;

/**
 * Renders a {@link ProfileSnapshot} as an interactive HTML flame graph with async-profiler's
 * converter ({@code tools.profiler:jfr-converter}): zoom, search, invert, as async-profiler's own
 * allocation profiles.
 *
 * <h2>What it is</h2>
 * Each site becomes a stack from the root to the allocating frame, topped by the allocated
 * class, and is as wide as its estimated bytes. Java frames are drawn green, allocated classes
 * in async-profiler's "allocated class" colour; tooltips count bytes.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>The page is self-contained (no network access) and the same for equal snapshots, up to
 *       the colours, which the page picks at random when it loads.</li>
 *   <li>Frames are named as in {@link CollapsedStacks}, so the HTML and the text output agree.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * try (OutputStream out = Files.newOutputStream(Path.of("alloc.html"))) {
 *     FlameGraphHtml.write(allocations.snapshot(), "Allocations of my service", false, out);
 * }
 * }</pre>
 */
public final class FlameGraphHtml {
    private FlameGraphHtml() {
    }

    /**
     * Writes the flame graph page.
     *
     * @param snapshot the profile, not null
     * @param title the page's heading (plain text)
     * @param lineNumbers whether frames end with {@code :line}
     * @param out where to write; not closed
     * @throws IOException if writing fails
     */
    public static void write(ProfileSnapshot snapshot, String title, boolean lineNumbers, OutputStream out)
            throws IOException {
        Objects.requireNonNull(snapshot, "snapshot");
        Arguments args = new Arguments();
        args.title = escape(title);
        FlameGraph fg = new FlameGraph(args);
        CallStack stack = new CallStack();
        for (ProfileSnapshot.Site site : snapshot.sites()) {
            stack.clear();
            List<StackTraceElement> frames = site.stack();
            for (int i = frames.size() - 1; i >= 0; i--) {
                stack.push(CollapsedStacks.frame(frames.get(i), lineNumbers), Frame.TYPE_JIT_COMPILED);
            }
            stack.push(site.type(), Frame.TYPE_INLINED);     // "allocated class" in the legend
            fg.addSample(stack, site.bytes());
        }
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(page, false, StandardCharsets.UTF_8)) {
            fg.dump(ps);
        }
        out.write(countBytes(page.toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The template's tooltip counts "samples"; here widths are bytes. Left as is if it changes. */
    static String countBytes(String html) {
        return html.replace("n === 1 ? '1 sample' :", "n === 1 ? '1 byte' :")
                .replace("+ ' samples';", "+ ' bytes';");
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
