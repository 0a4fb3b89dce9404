package org.memproflimits;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable picture of an allocation profile: estimated bytes and sample counts by allocation
 * site, as taken by {@link AllocationProfile#snapshot()} or {@link LiveHeapProfile#snapshot()}.
 *
 * <h2>What it is</h2>
 * A list of {@link Site}s - a call stack and the class allocated there - each with the bytes its
 * samples stand for and the number of samples. Bytes are <em>estimates</em>: the sum of the
 * samples' {@linkplain Allocation#weight() weights}, whose relative standard deviation at a site
 * with {@code n} samples is about {@code 1/sqrt(n)}. Write it as collapsed stacks with
 * {@link CollapsedStacks}, or read the sites directly.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Immutable and thread-safe; it does not change when the profile it came from does.</li>
 *   <li>{@link #sites()} is ordered by bytes, largest first, then by sample count; no site has
 *       zero samples.</li>
 *   <li>{@link #totalBytes()} and {@link #totalSamples()} are the sums over the sites.</li>
 * </ul>
 *
 * <h2>Example</h2>
 * <pre>{@code
 * ProfileSnapshot s = profile.snapshot();
 * System.out.printf("about %d MiB allocated in %d samples%n", s.totalBytes() >> 20, s.totalSamples());
 * for (ProfileSnapshot.Site site : s.top(5)) {
 *     System.out.println(site.bytes() + " bytes of " + site.type() + " at " + site.stack().get(0));
 * }
 * }</pre>
 */
public final class ProfileSnapshot {
    private static final Comparator<Site> LARGEST_FIRST = Comparator
            .comparingLong(Site::bytes).reversed()
            .thenComparing(Comparator.comparingLong(Site::samples).reversed());

    private final List<Site> sites;
    private final long totalBytes;
    private final long totalSamples;

    /**
     * One allocation site of a snapshot.
     *
     * @param stack the call stack of the allocations, innermost frame first (as in
     *        {@link Allocation#stack()}), at most the profile's callstack size; empty if the profile
     *        captured no frames
     * @param type the allocated class, as {@link Class#getTypeName()} writes it
     *        ({@code java.lang.String}, {@code byte[]})
     * @param bytes the estimated bytes of the samples at this site
     * @param samples the number of samples at this site
     */
    public record Site(List<StackTraceElement> stack, String type, long bytes, long samples) {
        /**
         * @param stack the stack, innermost first, not null; copied
         * @param type the allocated type, not null
         * @param bytes the estimated bytes
         * @param samples the number of samples
         */
        public Site {
            stack = List.copyOf(stack);
            Objects.requireNonNull(type, "type");
        }
    }

    /**
     * Makes a snapshot of the given sites, for instance to merge or filter other snapshots' sites.
     *
     * @param sites the sites, not null; sites with no samples are left out, the rest are ordered
     *        largest first
     */
    public ProfileSnapshot(List<Site> sites) {
        List<Site> kept = new ArrayList<>(sites.size());
        long bytes = 0;
        long samples = 0;
        for (Site s : sites) {
            if (s.samples() != 0) {
                kept.add(s);
                bytes += s.bytes();
                samples += s.samples();
            }
        }
        kept.sort(LARGEST_FIRST);
        this.sites = Collections.unmodifiableList(kept);
        this.totalBytes = bytes;
        this.totalSamples = samples;
    }

    /** @return the sites, largest first; unmodifiable */
    public List<Site> sites() {
        return sites;
    }

    /**
     * @param n how many sites, at least 0
     * @return the {@code n} largest sites, or all of them if there are fewer
     */
    public List<Site> top(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n = " + n + " is negative");
        }
        return sites.subList(0, Math.min(n, sites.size()));
    }

    /** @return the estimated bytes of all sites */
    public long totalBytes() {
        return totalBytes;
    }

    /** @return the number of samples of all sites */
    public long totalSamples() {
        return totalSamples;
    }

    /** @return the estimated bytes by allocated type, largest first; unmodifiable */
    public Map<String, Long> bytesByType() {
        Map<String, Long> sums = new LinkedHashMap<>();
        for (Site s : sites) {
            sums.merge(s.type(), s.bytes(), Long::sum);
        }
        List<Map.Entry<String, Long>> entries = new ArrayList<>(sums.entrySet());
        entries.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        Map<String, Long> sorted = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : entries) {
            sorted.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(sorted);
    }

    @Override
    public String toString() {
        return "ProfileSnapshot[" + sites.size() + " sites, " + totalSamples + " samples, "
                + totalBytes + " bytes]";
    }
}
