package org.memproflimits.bench.report;

import java.util.Arrays;
import java.util.Collection;

/** Order statistics on small samples. */
final class Stats {
    private Stats() {
    }

    static double[] sorted(Collection<? extends Number> values) {
        double[] a = new double[values.size()];
        int k = 0;
        for (Number n : values) {
            a[k++] = n.doubleValue();
        }
        Arrays.sort(a);
        return a;
    }

    /** Nearest-rank percentile of a sorted array, p in [0, 100]. */
    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double mean(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return a.length == 0 ? Double.NaN : s / a.length;
    }
}
