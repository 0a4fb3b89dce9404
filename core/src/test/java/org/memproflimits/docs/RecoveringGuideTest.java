package org.memproflimits.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;

/** The guide's snippets are the ones compiled here, and they do what the guide says. */
class RecoveringGuideTest {
    private final RecoveringGuideExamples ex = new RecoveringGuideExamples();

    @Test
    void guideQuotesTheCompiledSnippetsVerbatim() throws Exception {
        String source = Files.readString(Path.of("src/test/java/org/memproflimits/docs/RecoveringGuideExamples.java"));
        String guide = Files.readString(Path.of("../docs/recovering.md"));
        Matcher m = Pattern.compile("// snippet:([a-z-]+)\\n(.*?)    // end\\n", Pattern.DOTALL).matcher(source);
        int n = 0;
        while (m.find()) {
            String body = m.group(2).stripTrailing().stripIndent().strip();
            assertTrue(guide.contains(body), "docs/recovering.md lacks snippet " + m.group(1) + " as compiled");
            n++;
        }
        assertEquals(10, n);
    }

    @Test
    void catchAllRethrowsTheInterruptButSkipsLocalFailures() throws Throwable {
        assertEquals(2, ex.parseAll(List.of("1", "x", "2")));
        List<String> endless = new ArrayList<>();
        for (int i = 0; i < 5_000_000; i++) {
            endless.add(i % 2 == 0 ? "12" : "bad");
        }
        Result<?> r = MemprofLimits.limitAllocations(8 << 20, () -> {
            try {
                return ex.parseAll(endless);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        });
        assertFalse(r.isOk());
    }

    @Test
    void interruptedTransferIsRolledBack() {
        Map<String, Integer> accounts = new HashMap<>(Map.of("a", 1_000_000, "b", 1_000_000));
        Result<?> r = MemprofLimits.limitAllocations(0, () -> {
            for (int i = 0; i < 1_000_000; i++) {
                ex.transfer(accounts, "a", "b", 1);
            }
            return null;
        });
        assertFalse(r.isOk());
        assertEquals(2_000_000, accounts.get("a") + accounts.get("b"));   // boxed values above 127 allocate: interrupts fall between the two merges
    }

    @Test
    void lockIsReleasedAfterInterrupt() {
        Result<?> r = MemprofLimits.limitAllocations(1 << 20, () -> {
            for (int i = 0; ; i++) {
                ex.increment("k" + i);
            }
        });
        assertFalse(r.isOk());
        assertFalse(ex.lock.isLocked());
    }
}
