package org.memproflimits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memproflimits.userland.FixtureSlot;
import org.memproflimits.userland.FreshLoader;
import org.memproflimits.userland.SafetyFixture;
import org.memproflimits.userland.Userland;

/**
 * The engine must never raise inside a static initializer, class loading or linkage, or an
 * {@code invokedynamic} bootstrap: an exception escaping them leaves JVM-global state broken for
 * good (an erroneous class, a recorded linkage error), which is not the task's to lose.
 *
 * <p>Method: an interrupt is made due at the very start of a task - allocation limit 0, a token
 * the task sets first, or global limit 0 - and the task then loads, links and initializes a
 * fresh copy of {@link SafetyFixture} (a new {@link FreshLoader} per task, whose findClass
 * allocates heavily; the fixture's static initializer allocates 24 MiB) and links one fresh kind
 * of call site in it, then allocates 512 KiB in {@code Userland.churn}, where nothing defers an
 * interrupt. Each task must end Interrupted by its limit, with the interrupt raised (not only
 * flagged at the limit function's return) - deferred over the loading and linkage, it arises
 * after them at the latest in that churn - and the same class and call sites must then work
 * outside any limit. An engine that never raised would fail every task. The fixture and the
 * loader live in package {@code org.memproflimits.userland}, outside the library's package, as
 * a user's classes do (the engine used to refuse to raise in package {@code org.memproflimits},
 * see RaiseSiteTest).
 *
 * <p>The sampling interval is set to its minimum, 1 KiB, for this JVM, so that samples fall
 * densely inside every loading, linkage and initialization, including the VM's own small
 * allocations there.
 *
 * <p>Statistics: the assertions are deterministic given that the interrupt is due and that a
 * sample falls where it can be raised. The first holds once one sample fell in the task: each
 * task allocates at least 2 MiB = 2048 intervals in its first findClass before anything else, so
 * it misses with probability e^-2048 (below 1e-889) per task (a token's interrupt is due without
 * any sample). The second holds once a sample falls in the 512 KiB = 512 intervals of the churn
 * that ends every case (after SlowInit and Point, a 1 MiB churn): no sample there has
 * probability e^-512 (below 1e-222) per task. Summed over the 240 tasks of this class, below
 * 1e-219 (false failure).
 */
class JvmStateSafetyTest {
    private static final String FIXTURE = "org.memproflimits.userland.SafetyFixture";
    private static final long FIND_CLASS_SCRATCH = 2L << 20;
    private static final int REPEATS = 6;
    /**
     * Methods of SafetyFixture where nothing allocates once their call site is linked or their
     * class initialized: an interrupt whose top frame is one of them arose in that linkage.
     */
    private static final Set<String> NO_ALLOCATION_AFTER_LINKAGE = Set.of(
            "nonCapturingLambda", "methodReference", "serializableLambda", "nestedClassInitialization");

    /** What each case of SafetyFixture.apply and its state() return, outside any limit. */
    private static String[] golden;
    private static String goldenState;

    enum Kind { ALLOCATIONS, TOKEN, GLOBAL_MEMORY }

    @BeforeAll
    static void denseSamplingAndGoldenValues() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                org.memproflimits.testing.ProfileSessionListener.enabled(),
                "this test sets up the engine itself; under the session profile (with-profile) the engine is already started");
        MemprofLimits.setSamplingInterval(1024);
        MemprofLimits.start();
        assertEquals(1024, MemprofLimits.samplingInterval());
        FreshLoader loader = new FreshLoader(parent(), FIXTURE, 0);
        Class<?> c = Class.forName(FIXTURE, true, loader);
        IntFunction<String> f = FixtureSlot.current;
        assertSame(c, f.getClass());
        golden = new String[SafetyFixture.CASES];
        for (int k = 0; k < golden.length; k++) {
            golden[k] = f.apply(k);
        }
        goldenState = (String) c.getMethod("state").invoke(null);
    }

    private static ClassLoader parent() {
        return JvmStateSafetyTest.class.getClassLoader();
    }

    /** Runs {@code body} under a limit of {@code kind} that is due from the task's first sample. */
    private static Result<String> underDueInterrupt(Kind kind, Task<String, Exception> body) throws Exception {
        switch (kind) {
            case ALLOCATIONS:
                return MemprofLimits.limitAllocations(0, body).map(Allocated::value);
            case TOKEN: {
                Token token = new Token();
                return MemprofLimits.limitWithToken(token, () -> {
                    token.set();
                    return body.run();
                });
            }
            default:
                MemprofLimits.setGlobalMemoryLimit(0);
                try {
                    return MemprofLimits.limitGlobalMemory(body);
                } finally {
                    MemprofLimits.setGlobalMemoryLimit(-1);
                }
        }
    }

    private static Limit limitOf(Kind kind) {
        return Limit.valueOf(kind.name());
    }

    /** What happened in the tasks of a batch, and what was wrong with the JVM's state after. */
    private static final class Batch {
        final List<String> problems = new ArrayList<>();
        final Map<String, Integer> raisedAt = new TreeMap<>();
        final List<String> linkageInterrupts = new ArrayList<>();
        int tasks;
        /** Tasks whose due interrupt was raised in them, by their own limit. */
        int raised;

        String summary() {
            return tasks + " tasks on JDK " + Runtime.version().feature() + ", " + raised
                    + " interrupted by a raised interrupt of their limit; interrupts arose at " + raisedAt;
        }
    }

    /**
     * Runs one task under a due interrupt of {@code kind}: it loads, links and initializes a fresh
     * SafetyFixture, then runs its case {@code which}. Then checks, outside any limit, that the
     * same class and every call site in it work.
     */
    private static void runFresh(Kind kind, int which, Batch batch) {
        String where = kind + " case " + which + ": ";
        batch.tasks++;
        FixtureSlot.current = null;
        FreshLoader loader = new FreshLoader(parent(), FIXTURE, FIND_CLASS_SCRATCH);
        Object[] progress = new Object[1];
        Result<String> r;
        try {
            r = underDueInterrupt(kind, () -> {
                progress[0] = Class.forName(FIXTURE, true, loader);    // no allocation after it returns
                return FixtureSlot.current.apply(which);
            });
        } catch (Throwable t) {
            batch.problems.add(where + "the limit function threw " + describe(t));
            return;
        }
        // Inside the task: loading, linkage and the static initializer ran to completion.
        if (progress[0] == null) {
            batch.problems.add(where + "Class.forName did not complete inside the task: " + r
                    + (r instanceof Result.Interrupted<String> i ? "\n      " + describe(i.exception()) : ""));
        }
        if (r instanceof Result.Interrupted<String> i) {
            if (i.limit() != limitOf(kind)) {
                batch.problems.add(where + "interrupted by " + i.limit());
            }
            String bad = forbidden(i.exception());
            if (bad != null) {
                batch.problems.add(where + bad);
            }
            batch.raisedAt.merge(site(i.exception()), 1, Integer::sum);
            StackTraceElement[] trace = i.exception().getStackTrace();
            if (trace.length > 0 && trace[0].getClassName().equals(FIXTURE)
                    && NO_ALLOCATION_AFTER_LINKAGE.contains(trace[0].getMethodName())) {
                batch.linkageInterrupts.add(where + describe(i.exception()));
            }
            if (!wasRaised(i.exception())) {
                batch.problems.add(where + "the due interrupt was never raised in the task (see the class comment): "
                        + describe(i.exception()));
            } else if (i.limit() == limitOf(kind)) {
                batch.raised++;
            }
        } else {
            batch.raisedAt.merge("(Ok)", 1, Integer::sum);
            batch.problems.add(where + "ended " + r + " although its interrupt was due from its first sample");
        }
        // Outside any limit: the same class and the same call sites work.
        try {
            Class<?> c = Class.forName(FIXTURE, true, loader);
            if (progress[0] != null && progress[0] != c) {
                batch.problems.add(where + "a second class was defined");
            }
            IntFunction<String> f = FixtureSlot.current;
            if (f == null || f.getClass() != c) {
                batch.problems.add(where + "the static initializer did not publish its instance: " + f);
                return;
            }
            String state = (String) c.getMethod("state").invoke(null);
            if (!goldenState.equals(state)) {
                batch.problems.add(where + "static state " + state + ", expected " + goldenState);
            }
            for (int j = 0; j < SafetyFixture.CASES; j++) {
                String v = f.apply(j);
                if (!golden[j].equals(v)) {
                    batch.problems.add(where + "apply(" + j + ") = " + v + ", expected " + golden[j]);
                }
            }
        } catch (Throwable t) {
            batch.problems.add(where + "afterwards, outside any limit: " + describe(t));
        }
    }

    @Test
    void freshClassesAndCallSitesSurviveADueInterrupt() {
        // Deterministic (given the interrupt is due and a sample falls in the churn, see the class
        // comment): REPEATS rounds of the 3 limit kinds x 10 cases, 180 tasks, each on fresh
        // classes and call sites; each must be interrupted by a raised interrupt of its limit.
        Batch batch = new Batch();
        for (int repeat = 0; repeat < REPEATS; repeat++) {
            for (Kind kind : Kind.values()) {
                for (int which = 0; which < SafetyFixture.CASES; which++) {
                    runFresh(kind, which, batch);
                }
            }
        }
        System.out.println("freshClassesAndCallSites: " + batch.summary());
        if (!batch.problems.isEmpty()) {
            fail(batch.problems.size() + " problem(s):\n" + String.join("\n", batch.problems) + "\n" + batch.summary());
        }
    }

    /**
     * No interrupt arises while the VM links an invokedynamic call site or loads, links and
     * initializes a class for a field access - including at the allocations the VM makes itself,
     * with the task's own method as the top frame (RaiseSafety defers at bytecodes that allocate
     * nothing once linked). The cases checked are methods of SafetyFixture in which nothing
     * allocates once the call site is linked or the class initialized, so an interrupt whose
     * top frame is one of them arose during that linkage.
     *
     * <p>Not checked here, because the engine does not promise it: methodReference (case 5),
     * whose first call into the fresh lambda proxy makes the VM link the proxy class at an
     * invokeinterface. Invokes are not deferred (C2 attributes intrinsic allocations such as
     * Arrays.copyOf to them); an interrupt there fails the linkage the way an OutOfMemoryError
     * would, HotSpot records no resolution error for it, and
     * freshClassesAndCallSitesSurviveADueInterrupt checks that nothing is left broken.
     *
     * <p>Deterministic given the interrupt is due and a sample falls in the churn after the
     * linkage (see the class comment): any interrupt in the linkage is a failure, and so is a
     * task in which no interrupt was raised at all - the deferred interrupt must arise after
     * the linkage, which is what shows that it was deferred rather than never due.
     */
    @Test
    void noInterruptArisesWhileTheVmLinksACallSiteOrInitializesAClass() {
        int[] linkageOnly = {0, 6, 7};   // nonCapturingLambda, serializableLambda, nestedClassInitialization
        Batch batch = new Batch();
        for (int repeat = 0; repeat < REPEATS; repeat++) {
            for (Kind kind : Kind.values()) {
                for (int which : linkageOnly) {
                    runFresh(kind, which, batch);
                }
            }
        }
        System.out.println("linkage: " + batch.linkageInterrupts.size() + " interrupts in linkage; " + batch.summary());
        List<String> all = new ArrayList<>(batch.problems);
        all.addAll(batch.linkageInterrupts);
        if (!all.isEmpty()) {
            fail(batch.linkageInterrupts.size() + " of " + batch.tasks + " tasks were interrupted in the VM's "
                    + "linkage of a call site or initialization of a class (and " + batch.problems.size()
                    + " other problem(s)):\n" + String.join("\n", all) + "\n" + batch.summary());
        }
    }

    @Test
    void longStaticInitializerCompletesUnderEachLimit() throws Exception {
        // SlowInit's static initializer allocates 32 MiB in 1 KiB arrays, then 480 MiB in 1 MiB
        // arrays: about 33,000 samples fall inside it, each with the interrupt due.
        for (Kind kind : Kind.values()) {
            FreshLoader loader = new FreshLoader(parent(), FIXTURE, FIND_CLASS_SCRATCH);
            String name = FIXTURE + "$SlowInit";
            Object[] progress = new Object[1];
            Result<String> r = underDueInterrupt(kind, () -> {
                progress[0] = Class.forName(name, true, loader);
                // 1 MiB = 1024 intervals: the interrupt, deferred over the initializer, arises
                // here unless no sample falls in it (e^-1024, see the class comment).
                Userland.churn(1 << 20, 1024);
                return "not interrupted";
            });
            assertNotNull(progress[0], kind + ": the static initializer did not complete inside the task: " + r);
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, kind + ": " + r);
            assertEquals(limitOf(kind), i.limit());
            assertTrue(wasRaised(i.exception()), kind + ": the due interrupt was never raised: " + describe(i.exception()));
            assertEquals(null, forbidden(i.exception()), kind + ": where the interrupt arose");
            Class<?> c = Class.forName(name, true, loader);
            assertSame(progress[0], c);
            assertEquals((32L << 20) + (480L << 20), c.getField("ALLOCATED").getLong(null), kind + ": SlowInit.ALLOCATED");
        }
    }

    @Test
    void classLoaderWhoseFindClassAllocatesHeavilyCompletesUnderEachLimit() throws Exception {
        // findClass allocates 64 MiB in 4 KiB arrays before defining the class: 16,384 samples
        // fall inside it, each with the interrupt due.
        for (Kind kind : Kind.values()) {
            FreshLoader loader = new FreshLoader(parent(), FIXTURE, 64L << 20);
            String name = FIXTURE + "$Point";
            Object[] progress = new Object[1];
            Result<String> r = underDueInterrupt(kind, () -> {
                progress[0] = loader.loadClass(name);
                Userland.churn(1 << 20, 1024);          // where the deferred interrupt arises
                return "not interrupted";
            });
            assertNotNull(progress[0], kind + ": loadClass did not complete inside the task: " + r);
            assertEquals(1, loader.defined(), kind + ": classes defined by the loader");
            Result.Interrupted<?> i = assertInstanceOf(Result.Interrupted.class, r, kind + ": " + r);
            assertEquals(limitOf(kind), i.limit());
            assertTrue(wasRaised(i.exception()), kind + ": the due interrupt was never raised: " + describe(i.exception()));
            assertEquals(null, forbidden(i.exception()), kind + ": where the interrupt arose");
            Class<?> c = Class.forName(name, true, loader);
            assertSame(progress[0], c);
            assertEquals(2, c.getRecordComponents().length);
            assertEquals(1, loader.defined(), kind + ": classes defined by the loader");
        }
    }

    // ------------------------------------------------------------------------------------ helpers

    /**
     * @return null if no throwable in the chain of {@code t} is a linkage or initialization error
     *         and none arose in a static initializer, a class loader or a bootstrap; else why
     */
    static String forbidden(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> todo = new ArrayList<>(List.of(t));
        while (!todo.isEmpty()) {
            Throwable x = todo.remove(todo.size() - 1);
            if (x == null || !seen.add(x)) {
                continue;
            }
            if (x instanceof LinkageError || x instanceof ExceptionInInitializerError) {
                return "the task ended with " + describe(x);
            }
            for (StackTraceElement e : x.getStackTrace()) {
                String c = e.getClassName();
                if (e.getMethodName().equals("<clinit>")
                        || c.equals(FreshLoader.class.getName())
                        || c.startsWith("java.lang.ClassLoader")
                        || c.startsWith("jdk.internal.loader.")
                        || c.equals("java.lang.invoke.MethodHandleNatives")
                        || c.equals("java.lang.invoke.CallSite")
                        || c.equals("java.lang.invoke.BootstrapMethodInvoker")
                        || c.startsWith("java.lang.invoke.LambdaMetafactory")
                        || c.startsWith("java.lang.invoke.InnerClassLambdaMetafactory")
                        || c.startsWith("java.lang.invoke.StringConcatFactory")
                        || c.equals("java.lang.runtime.ObjectMethods")) {
                    return "an exception arose inside " + e + ": " + describe(x);
                }
            }
            todo.add(x.getCause());
            todo.addAll(List.of(x.getSuppressed()));
        }
        return null;
    }

    /**
     * Whether {@code t}, the exception that ended an Interrupted task, is the library's
     * interrupt raised inside the task - not the one the limit function makes when the task
     * returned after its limit was reached without an interrupt arising.
     */
    private static boolean wasRaised(Throwable t) {
        return t.getClass().getName().equals("org.memproflimits.internal.LimitInterrupt")
                && !String.valueOf(t.getMessage()).contains("returned normally")
                && t.getStackTrace().length > 0;
    }

    /** Where an interrupt arose, in short: its top two frames with line numbers. */
    private static String site(Throwable t) {
        String m = String.valueOf(t.getMessage());
        if (m.contains("returned normally")) {
            return "(returned normally, limit reached)";
        }
        StackTraceElement[] trace = t.getStackTrace();
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName()).append(" at");
        for (int i = 0; i < Math.min(2, trace.length); i++) {
            sb.append(i == 0 ? " " : " < ").append(trace[i].getClassName().replace("org.memproflimits.", ""))
                    .append('.').append(trace[i].getMethodName()).append(':').append(trace[i].getLineNumber());
        }
        return sb.toString();
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t));
        StackTraceElement[] trace = t.getStackTrace();
        for (int i = 0; i < Math.min(6, trace.length); i++) {
            sb.append("\n        at ").append(trace[i]);
        }
        if (t.getCause() != null && t.getCause() != t) {
            sb.append("\n      caused by ").append(describe(t.getCause()));
        }
        return sb.toString();
    }
}
