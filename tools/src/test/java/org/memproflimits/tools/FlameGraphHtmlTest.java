package org.memproflimits.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.memproflimits.ProfileSnapshot;

/** The HTML page from async-profiler's converter, fed with a snapshot. */
class FlameGraphHtmlTest {

    @Test
    void framesTypesAndTitleAreInThePage() throws Exception {
        StackTraceElement main = new StackTraceElement("com.x.Main", "main", "Main.java", 7);
        StackTraceElement parse = new StackTraceElement("com.x.Json", "parse", "Json.java", 42);
        ProfileSnapshot s = new ProfileSnapshot(List.of(
                new ProfileSnapshot.Site(List.of(parse, main), "char[]", 3_000_000, 6),
                new ProfileSnapshot.Site(List.of(main), "java.lang.String", 1_000_000, 2)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FlameGraphHtml.write(s, "Allocations of <Main>", false, out);
        String page = out.toString(StandardCharsets.UTF_8);
        assertTrue(page.contains("<h1>Allocations of &lt;Main&gt;</h1>"), "escaped title");
        assertEquals(List.of("all", "char[]", "com.x.Json.parse", "com.x.Main.main", "java.lang.String"),
                names(page));
        assertTrue(page.contains(",4000000)"), "the root is as wide as the total bytes");
        assertTrue(page.contains("+ ' bytes';") && !page.contains("+ ' samples';"));

        ByteArrayOutputStream withLines = new ByteArrayOutputStream();
        FlameGraphHtml.write(s, "t", true, withLines);
        assertTrue(names(withLines.toString(StandardCharsets.UTF_8)).contains("com.x.Json.parse:42"));
    }

    /**
     * The frame names of a page, unpacked as its script does: sorted, each written as one
     * character (32 + the length of the prefix it shares with the previous name) and the rest.
     */
    static List<String> names(String page) {
        String pool = page.substring(page.indexOf("const cpool = [") + 15, page.indexOf("];", page.indexOf("const cpool = [")));
        List<String> names = new java.util.ArrayList<>();
        String previous = "";
        for (String line : pool.strip().split(",\n")) {
            String packed = line.substring(1, line.length() - 1).replace("\\'", "'").replace("\\\\", "\\");
            String name = names.isEmpty() ? packed : previous.substring(0, packed.charAt(0) - ' ') + packed.substring(1);
            names.add(name);
            previous = name;
        }
        return names;
    }

    @Test
    void theTooltipRewriteLeavesAnUnknownTemplateAlone() {
        assertEquals("no such text", FlameGraphHtml.countBytes("no such text"));
        assertFalse(FlameGraphHtml.countBytes("n === 1 ? '1 sample' : x + ' samples';").contains("sample"));
    }
}
