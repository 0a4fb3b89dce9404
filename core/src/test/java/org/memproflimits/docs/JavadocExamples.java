package org.memproflimits.docs;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.memproflimits.Allocated;
import org.memproflimits.AllocationProfile;
import org.memproflimits.CollapsedStacks;
import org.memproflimits.LiveHeapProfile;
import org.memproflimits.ProfileSnapshot;
import org.memproflimits.Allocation;
import org.memproflimits.EngineUnavailableException;
import org.memproflimits.Guarded;
import org.memproflimits.InterruptibleCharSequence;
import org.memproflimits.Limit;
import org.memproflimits.Masking;
import org.memproflimits.Memprof;
import org.memproflimits.MemprofLimits;
import org.memproflimits.PoisonedException;
import org.memproflimits.Profile;
import org.memproflimits.Resource;
import org.memproflimits.Result;
import org.memproflimits.TaskInterruptedException;
import org.memproflimits.Task;
import org.memproflimits.Token;
import org.memproflimits.Tracker;

/**
 * Every example of the public javadoc, compiled: JavadocExamplesTest checks that each
 * {@code <pre>{@code ...}</pre>} block of the public sources appears in this file.
 * The fields and methods at the end are the stubs the examples use.
 */
@SuppressWarnings({"unused", "UnusedAssignment"})
final class JavadocExamples {

    void allocated() {
        Result<Allocated<int[]>> r = MemprofLimits.limitAllocations(1 << 20, () -> new int[1000]);
        long used = r.orElseThrow().bytes();   // 4016 on a 64-bit HotSpot with compressed oops
    }

    void allocation() {
        Tracker<Void> perClass = a -> { bytesByClass.merge(a.type(), a.weight(), Long::sum); return null; };
    }

    void engineUnavailable() {
        try {
            MemprofLimits.start();
        } catch (EngineUnavailableException e) {
            log.warn("running without limits: " + e.getMessage());
        }
    }

    void guarded(List<String> words) {
        Guarded<Map<String, Integer>> counts = Guarded.withRollback(new HashMap<>(), HashMap::new);
        MemprofLimits.limitAllocations(1 << 20, () -> counts.update(m -> {
            for (String w : words) m.merge(w, 1, Integer::sum);   // interrupted midway? rolled back
            return null;
        }));
    }

    void limit() {
        Result<Void> r = MemprofLimits.limitWithToken(token, () -> { work(); return null; });
        if (r instanceof Result.Interrupted<Void> i && i.limit() == Limit.TOKEN) log("cancelled");
    }

    void masking() {
        String row = Masking.withResource(
                () -> pool.borrow(),                 // masked
                conn -> conn.query("select 1"),      // interruptible
                conn -> pool.giveBack(conn));        // masked, runs exactly once
    }

    void memprof() {
        java.util.concurrent.atomic.LongAdder bytes = new java.util.concurrent.atomic.LongAdder();
        Profile p = Memprof.start(64 * 1024, 0, a -> { bytes.add(a.weight()); return null; });
        try {
            runWorkload();
        } finally {
            Memprof.stop();
        }
        System.out.println("about " + bytes.sum() + " bytes allocated");
    }

    void memprofLimits(String json) {
        Result<Allocated<Object>> r = MemprofLimits.limitAllocations(256L << 20, () -> parse(json));
        if (r instanceof Result.Ok<Allocated<Object>> ok) {
            System.out.println("parsed, " + ok.value().bytes() + " bytes allocated");
        } else {
            System.out.println("input rejected: too much work");
        }
    }

    void poisoned(Guarded<Map<String, Integer>> sessions) {
        try {
            int n = sessions.read(Map::size);
        } catch (PoisonedException e) {
            sessions.recover(new HashMap<>());      // start again from a known-good state
        }
    }

    void profile(Tracker<?> tracker) {
        Profile p = Memprof.start(64 * 1024, 16, tracker);
        try {
            runWorkload();
        } finally {
            Memprof.stop();
        }
        p.discard();                           // no more onFree calls
    }

    void resource(ReentrantLock lock) {
        try (Resource<java.util.concurrent.locks.Lock> held = Masking.acquire(
                () -> { lock.lock(); return lock; }, java.util.concurrent.locks.Lock::unlock)) {
            mutateSharedState();                 // interruptible; the lock is released whatever happens
        }
    }

    void result(String input) {
        Result<Integer> r = MemprofLimits.limitAllocations(64 << 20, () -> parse(input))
                                         .map(Allocated::value);
        if (r instanceof Result.Ok<Integer> ok) {
            use(ok.value());
        } else if (r instanceof Result.Interrupted<Integer> i) {
            log("stopped by " + i.limit());   // on JDK 21+, a switch over the two records works too
        }
    }

    void task(Path path) throws IOException {
        Task<String, java.io.IOException> read = () -> java.nio.file.Files.readString(path);
        Result<String> r = MemprofLimits.limitGlobalMemory(read);   // throws IOException
    }

    void taskInterrupted() {
        try {
            String s = MemprofLimits.limitWithToken(token, this::render).orElseThrow();
        } catch (TaskInterruptedException e) {
            respond(503, "stopped: " + e.limit());
        }
    }

    void token(List<String> rules) {
        Token token = new Token();
        scheduler.schedule(token::set, 2, TimeUnit.SECONDS);            // a timeout
        Result<Report> r = MemprofLimits.limitWithToken(token, () -> engine.evaluate(rules));
    }

    void limitTime(List<String> rules) {
        Result<Report> r = MemprofLimits.limitTime(Duration.ofSeconds(2), () -> engine.evaluate(rules));
    }

    void limitCpuTime(Pattern pattern, String input) {
        Result<Boolean> r = MemprofLimits.limitCpuTime(Duration.ofMillis(200), () -> pattern.matcher(input).matches());
    }

    void interruptibleCharSequence(String userPattern, String userInput) {
        Token token = new Token();
        scheduler.schedule(token::set, 100, TimeUnit.MILLISECONDS);
        Pattern pattern = Pattern.compile(userPattern);
        Result<Boolean> r = MemprofLimits.limitWithToken(token,
                () -> pattern.matcher(InterruptibleCharSequence.of(userInput)).matches());
    }

    void maskPackage() {
        Masking.maskPackage("org.h2.mvstore");      // H2's storage engine and its transactions
    }

    long checkpoint(long[] data) {
        long sum = 0;
        for (int i = 0; i < data.length; i++) {
            if ((i & 0xFFF) == 0) {
                MemprofLimits.checkpoint();
            }
            sum += data[i];
        }
        return sum;
    }

    void tracker() {
        Tracker<Long> live = new Tracker<>() {
            public Long onAlloc(Allocation a) { liveBytes.add(a.weight()); return a.weight(); }
            public void onFree(Long weight) { liveBytes.add(-weight); }
        };
    }

    void allocationProfile() throws IOException {
        AllocationProfile allocations = new AllocationProfile();
        Memprof.start(512 * 1024, 64, allocations);
        try {
            runWorkload();
        } finally {
            Memprof.stop();
        }
        ProfileSnapshot s = allocations.snapshot();
        System.out.println("about " + (s.totalBytes() >> 20) + " MiB allocated; top site: " + s.top(1));
        try (Writer out = Files.newBufferedWriter(Path.of("alloc.collapsed"))) {
            CollapsedStacks.write(s, out);          // flamegraph.pl alloc.collapsed > alloc.svg
        }
    }

    void liveHeapProfile() throws InterruptedException {
        LiveHeapProfile live = new LiveHeapProfile();
        Profile p = Memprof.start(512 * 1024, 64, live);
        loadCaches();
        System.gc();
        Thread.sleep(100);                                   // let the cleaner thread catch up
        for (ProfileSnapshot.Site site : live.snapshot().top(3)) {
            System.out.println((site.bytes() >> 10) + " KiB of " + site.type() + " held, allocated at "
                    + site.stack().get(0));
        }
        Memprof.stop();
        p.discard();
    }

    void collapsedStacks(AllocationProfile allocations) throws IOException {
        try (Writer out = Files.newBufferedWriter(Path.of("alloc.collapsed"))) {
            CollapsedStacks.write(allocations.snapshot(), out);
        }
        // then: flamegraph.pl --colors=java alloc.collapsed > alloc.svg, or open it in speedscope.app
    }

    void profileSnapshot(AllocationProfile profile) {
        ProfileSnapshot s = profile.snapshot();
        System.out.printf("about %d MiB allocated in %d samples%n", s.totalBytes() >> 20, s.totalSamples());
        for (ProfileSnapshot.Site site : s.top(5)) {
            System.out.println(site.bytes() + " bytes of " + site.type() + " at " + site.stack().get(0));
        }
    }

    // ---------------------------------------------------------------- stubs

    final Map<Class<?>, Long> bytesByClass = new HashMap<>();
    final LongAdder liveBytes = new LongAdder();
    final Token token = new Token();
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final Logger log = new Logger();
    final Pool pool = new Pool();
    final RuleEngine engine = new RuleEngine();

    static final class Logger {
        void warn(String s) {
        }
    }

    static final class Connection {
        String query(String sql) {
            return sql;
        }
    }

    static final class Pool {
        Connection borrow() {
            return new Connection();
        }

        void giveBack(Connection c) {
        }
    }

    static final class Report {
    }

    static final class RuleEngine {
        Report evaluate(List<String> rules) {
            return new Report();
        }
    }

    void work() {
    }

    void log(String s) {
    }

    void runWorkload() {
    }

    void loadCaches() {
    }

    void mutateSharedState() {
    }

    Integer parse(String s) {
        return s.length();
    }

    void use(Integer i) {
    }

    String render() {
        return "";
    }

    void respond(int status, String body) {
    }
}
