package org.memproflimits.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/** Small helpers shared by the plain-main benchmark programs. */
final class Support {
    private Support() {
    }

    /** Arguments of the form {@code --key=value}; unknown keys are an error at {@link #done}. */
    static final class Args {
        private final Map<String, String> values = new HashMap<>();
        private final List<String> used = new ArrayList<>();

        Args(String[] args) {
            for (String a : args) {
                if (!a.startsWith("--") || !a.contains("=")) {
                    throw new IllegalArgumentException("expected --key=value, got " + a);
                }
                values.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            }
        }

        String get(String key, String def) {
            used.add(key);
            return values.getOrDefault(key, def);
        }

        long getLong(String key, long def) {
            return parseSize(get(key, Long.toString(def)));
        }

        double getDouble(String key, double def) {
            return Double.parseDouble(get(key, Double.toString(def)));
        }

        List<Long> getSizes(String key, String def) {
            List<Long> out = new ArrayList<>();
            for (String s : get(key, def).split(",")) {
                if (!s.isBlank()) {
                    out.add(parseSize(s.trim()));
                }
            }
            return out;
        }

        void done() {
            for (String k : values.keySet()) {
                if (!used.contains(k)) {
                    throw new IllegalArgumentException("unknown argument --" + k);
                }
            }
        }
    }

    /** "512k", "16m", "1g", "1e9", "0" to bytes (binary suffixes). */
    static long parseSize(String s) {
        String t = s.toLowerCase();
        long mult = 1;
        if (t.endsWith("k")) {
            mult = 1L << 10;
        } else if (t.endsWith("m")) {
            mult = 1L << 20;
        } else if (t.endsWith("g")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        return (long) (Double.parseDouble(t) * mult);
    }

    static String gcNames() {
        List<String> names = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            names.add(gc.getName());
        }
        return String.join("+", names);
    }

    /** The collector's usual name (G1, Parallel, Serial, ZGC, Shenandoah), or its beans' names. */
    static String gcShortName() {
        String gc = gcNames();
        return gc.startsWith("G1") ? "G1" : gc.startsWith("PS") ? "Parallel" : gc.startsWith("Copy") ? "Serial"
                : gc.startsWith("ZGC") ? "ZGC" : gc.startsWith("Shenandoah") ? "Shenandoah" : gc;
    }

    static String jdk() {
        return System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version");
    }

    /** One line per run in {@code dir/runs.csv}: which program ran where, with what. */
    static void recordRun(Path dir, String program, String details) {
        Path f = dir.resolve("runs.csv");
        String header = "program,jdk,feature,gc,max_heap_mib,jvm_args,details\n";
        String line = csv(program, jdk(), Runtime.version().feature(), gcNames(),
                Runtime.getRuntime().maxMemory() >> 20,
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()),
                details);
        appendLine(f, header, line);
    }

    static synchronized void appendLine(Path file, String header, String line) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (!Files.exists(file)) {
                Files.writeString(file, header);
            }
            Files.writeString(file, line + "\n", StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PrintWriter csvWriter(Path file, String header) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            boolean exists = Files.exists(file);
            PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
            if (!exists) {
                w.println(header);
            }
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One CSV line; an Object[] field is spliced in as several fields. */
    static String csv(Object... fields) {
        List<Object> flat = new ArrayList<>();
        for (Object f : fields) {
            if (f instanceof Object[] more) {
                flat.addAll(List.of(more));
            } else {
                flat.add(f);
            }
        }
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < flat.size(); k++) {
            if (k > 0) {
                b.append(',');
            }
            String s = String.valueOf(flat.get(k));
            if (s.contains(",") || s.contains("\"")) {
                s = '"' + s.replace("\"", "\"\"") + '"';
            }
            b.append(s);
        }
        return b.toString();
    }

    static ExecutorService platformThreads(int n, String name) {
        ThreadFactory f = r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
        return n == 1 ? Executors.newSingleThreadExecutor(f) : Executors.newFixedThreadPool(n, f);
    }

    /** Executors.newVirtualThreadPerTaskExecutor() on JDK 21+, by reflection (built for 17). */
    static ExecutorService virtualThreads() {
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                    .invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("virtual threads need JDK 21 or later; this is "
                    + jdk(), e);
        }
    }

    /**
     * Token latency trials: a token set from another thread after a random 2-20 ms (seed 42)
     * while {@code runaway} runs under it; returns the times from {@code set()} to the limit
     * function's return, sorted, in ns, followed by the number of {@code Interrupted} results.
     */
    static long[] tokenLatencies(int trials, org.memproflimits.Task<Boolean, RuntimeException> runaway)
            throws InterruptedException {
        java.util.Random random = new java.util.Random(42);
        long[] ns = new long[trials + 1];
        for (int t = 0; t < trials; t++) {
            org.memproflimits.Token token = new org.memproflimits.Token();
            long[] setAt = new long[1];
            long delay = 2 + random.nextInt(19);
            Thread setter = new Thread(() -> {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    return;
                }
                setAt[0] = System.nanoTime();
                token.set();
            });
            setter.start();
            org.memproflimits.Result<Boolean> r = org.memproflimits.MemprofLimits.limitWithToken(token, runaway);
            long end = System.nanoTime();
            setter.join();
            ns[trials] += r instanceof org.memproflimits.Result.Interrupted<Boolean> ? 1 : 0;
            ns[t] = end - setAt[0];
        }
        java.util.Arrays.sort(ns, 0, trials);
        return ns;
    }
}
