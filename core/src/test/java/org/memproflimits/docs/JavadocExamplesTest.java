package org.memproflimits.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every public type's javadoc carries an example, and every example compiles (in JavadocExamples). */
class JavadocExamplesTest {
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "(?m)^public (final |abstract |sealed )*(class|interface|record|enum) ");
    private static final Pattern EXAMPLE = Pattern.compile("<pre>\\{@code\\n(.*?)\\n \\* \\}</pre>", Pattern.DOTALL);

    @Test
    void everyPublicTypeHasAnExampleThatCompiles() throws IOException {
        String compiled = normalize(Files.readString(Path.of("src/test/java/org/memproflimits/docs/JavadocExamples.java")));
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/java/org/memproflimits"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String source = Files.readString(f);
                if (!PUBLIC_TYPE.matcher(source).find()) {
                    continue;                       // package-private helpers need no example
                }
                Matcher m = EXAMPLE.matcher(source);
                int examples = 0;
                while (m.find()) {
                    examples++;
                    StringBuilder body = new StringBuilder();
                    for (String line : m.group(1).split("\n")) {
                        int star = line.indexOf(" * ");
                        body.append(star >= 0 ? line.substring(star + 3) : "").append('\n');
                    }
                    if (!compiled.contains(normalize(body.toString()))) {
                        problems.add(f.getFileName() + ": example not in JavadocExamples.java:\n" + body);
                    }
                }
                if (examples == 0) {
                    problems.add(f.getFileName() + ": public type without an example");
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private static String normalize(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }
}
