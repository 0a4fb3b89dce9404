package org.memproflimits;

/**
 * A ready-made {@link Tracker} of the live heap: the sampled objects not yet collected, by call
 * stack and class - where the memory that a program holds was allocated.
 *
 * <h2>What it is</h2>
 * Each sample adds its {@linkplain Allocation#weight() weight} and one sample to its site, like
 * {@link AllocationProfile}, and asks the profiler to track the object; when the garbage
 * collector has reclaimed it, the profile's cleaner thread calls {@link #onFree}, which takes
 * them off again. {@link #snapshot()} thus shows the estimated bytes of the objects still alive
 * by the site that allocated them: a leak shows up as a site that keeps growing.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Thread-safe: samples, frees and {@link #snapshot()} may run at the same time, from any
 *       threads. {@link #onFree} takes no lock.</li>
 *   <li>An object counts as live until it has been collected <em>and</em> the cleaner thread has
 *       run: unreachable objects not yet collected still count. For a current picture, call
 *       {@code System.gc()} and give the cleaner a moment before taking the snapshot.</li>
 *   <li>Frees keep being counted after {@link Memprof#stop()}, until the profile is
 *       {@linkplain Profile#discard() discarded}; after that the snapshot no longer changes.</li>
 *   <li>Per sample, one small key object and one small tracking object; the profiler keeps a
 *       cleaner registration per tracked object, so memory use grows with the number of live
 *       sampled objects (one per interval of live heap).</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * LiveHeapProfile live = new LiveHeapProfile();
 * Profile p = Memprof.start(512 * 1024, 64, live);
 * loadCaches();
 * System.gc();
 * Thread.sleep(100);                                   // let the cleaner thread catch up
 * for (ProfileSnapshot.Site site : live.snapshot().top(3)) {
 *     System.out.println((site.bytes() >> 10) + " KiB of " + site.type() + " held, allocated at "
 *             + site.stack().get(0));
 * }
 * Memprof.stop();
 * p.discard();
 * }</pre>
 */
public final class LiveHeapProfile implements Tracker<Object> {
    private final SiteTable table = new SiteTable();

    /** What the profiler keeps for a tracked object: its site and its weight. */
    private static final class Live {
        final SiteTable.Counters site;
        final long weight;

        Live(SiteTable.Counters site, long weight) {
            this.site = site;
            this.weight = weight;
        }
    }

    /** Creates an empty profile, to pass to {@link Memprof#start}. */
    public LiveHeapProfile() {
    }

    /**
     * Counts the sample at its site and tracks the object. Called by the profiler.
     *
     * @param allocation the sample
     * @return what the profiler keeps until the object is freed
     */
    @Override
    public Object onAlloc(Allocation allocation) {
        return new Live(table.add(allocation), allocation.weight());
    }

    /**
     * Takes a collected object off its site. Called by the profiler's cleaner thread.
     *
     * @param tracked what {@link #onAlloc} returned for the object
     */
    @Override
    public void onFree(Object tracked) {
        Live live = (Live) tracked;
        live.site.add(-live.weight, -1);
    }

    /** @return the sites of the sampled objects not yet freed, largest first */
    public ProfileSnapshot snapshot() {
        return table.snapshot();
    }

    @Override
    public String toString() {
        return "LiveHeapProfile[" + snapshot() + "]";
    }
}
