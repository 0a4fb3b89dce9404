package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * SnakeYAML: untrusted documents - one that never ends, and a "billion laughs" whose aliases are
 * only expanded when the result is walked - stopped by each kind of limit; the parser then loads
 * the next.
 */
class SnakeYamlTest {
    static final String CONFIG = "server:\n  port: 8080\n  hosts: [a, b]\n";

    @Test
    void hostileDocumentsStopAndTheParserLoadsTheNext() throws Exception {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(Integer.MAX_VALUE);    // as an application might
        Yaml yaml = new Yaml(options);

        Result<Allocated<Object>> endless = MemprofLimits.limitAllocations(64L << 20,
                () -> yaml.load(Endless.repeating("items:\n", "  - {name: widget, size: 12, tags: [a, b]}\n")));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) endless).limit(), Endless.describe(endless));
        assertConfig(yaml.load(CONFIG));

        // The composer keeps the node of every item read until the document ends: the heap fills.
        GlobalLimit.stop("SnakeYAML: a document that never ends",
                () -> yaml.load(Endless.repeating("items:\n", "  - {name: widget, size: 12, tags: [a, b]}\n")));
        assertConfig(yaml.load(CONFIG));

        StringBuilder lol = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) {
            lol.append("a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                lol.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
            }
            lol.append("]\n");
        }
        Object laughs = yaml.load(lol.toString());                  // shared, not yet expanded
        Result<String> expanded = MemprofLimits.limitWithToken(Endless.setAfter(100), laughs::toString);
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) expanded).limit(), Endless.describe(expanded));
        assertConfig(yaml.load(CONFIG));
    }

    /** Loading and dumping documents with one parser, interrupted anywhere. */
    @Test
    void workInterruptedAnywhereLeavesTheParserRight() throws Exception {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(1000);
        Yaml yaml = new Yaml(options);
        StringBuilder doc = new StringBuilder("defaults: &d {retries: 3, timeout: 2.5}\nservices:\n");
        for (int i = 0; i < 100; i++) {
            doc.append("  - {name: svc").append(i).append(", port: ").append(8000 + i)
                    .append(", options: *d, tags: [a, b, c]}\n");
        }
        String text = doc.toString();
        // Measured 1378 of 1500 (0.92) on JDK 17, 1319 (0.88) on JDK 25; at a conservative 0.75
        // (see InterruptedAnywhere), the floor at CI size is 78 of 150:
        // P(Binomial(150, 0.75) < 78) = 3.6e-10 (false failure).
        InterruptedAnywhere.check("SnakeYAML", 150, 7, 0.75, () -> {
            Object loaded = yaml.load(text);
            // the round trip, not the dump's text: a Yaml instance numbers its anchors on across
            // dumps (id999, then id1000), interrupted or not
            Object again = yaml.load(yaml.dump(loaded));
            return again.equals(loaded) + ":" + loaded.hashCode();
        });
    }

    @SuppressWarnings("unchecked")
    private static void assertConfig(Object doc) {
        Map<String, Object> server = (Map<String, Object>) ((Map<String, Object>) doc).get("server");
        assertEquals(8080, server.get("port"));
        assertEquals(List.of("a", "b"), server.get("hosts"));
    }
}
