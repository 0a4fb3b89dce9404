package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The global limit on Epsilon, the collector that never collects and publishes no
 * post-collection figure: the watcher's fallback, current use, which there is the occupancy.
 * Runs in a child JVM (-XX:+UseEpsilonGC, 256 MiB): a task retaining 64 KiB arrays under a
 * 96 MiB limit must end Interrupted(GLOBAL_MEMORY) before the heap is exhausted. Deterministic:
 * once current use is over the limit, the first sample of the task interrupts it (no collection
 * can make the verdict "under"), and 160 MiB of headroom is 1280 sampling intervals:
 * P(no sample) = e^-1280 (false failure).
 */
class EpsilonGlobalLimitTest {

    @Test
    void aHeapThatIsNeverCollectedIsLimitedByItsCurrentUse() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of("-Xmx256m", "-XX:+UnlockExperimentalVMOptions", "-XX:+UseEpsilonGC"));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {                  // a hang guard, not a timing assertion
            p.destroyForcibly();
            fail("child JVM did not exit:\n" + out);
        }
        System.out.println("Epsilon: " + out);
        assertTrue(p.exitValue() == 0 && out.contains("OK "), "child exited with " + p.exitValue() + ":\n" + out);
    }

    /** The child JVM: prints "OK ..." if the task was interrupted by the global limit. */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) {
            long limit = 96L << 20;
            MemprofLimits.setGlobalMemoryLimit(limit);
            List<byte[]> kept = new ArrayList<>();
            Result<Integer> r = MemprofLimits.limitGlobalMemory(() -> {
                while (true) {
                    kept.add(new byte[64 << 10]);
                }
            });
            Runtime rt = Runtime.getRuntime();
            long used = rt.totalMemory() - rt.freeMemory();
            String what = r + " after retaining " + (kept.size() >> 4) + " MiB, heap use " + (used >> 20) + " MiB";
            if (r instanceof Result.Interrupted<Integer> i && i.limit() == Limit.GLOBAL_MEMORY
                    && !(i.exception() instanceof OutOfMemoryError) && used > limit) {
                System.out.println("OK " + what);
            } else {
                System.out.println("FAILED " + what);
                System.exit(1);
            }
        }
    }
}
