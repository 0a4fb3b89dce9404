package org.memproflimits.tools;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes ({@code 64k}, {@code 512m}, {@code 2g}) and durations ({@code 500ms}, {@code 10s}, {@code 2m}). */
final class Units {
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmgt]?)(i?b)?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private Units() {
    }

    /**
     * Parses a size: digits, then optionally {@code k}, {@code m}, {@code g} or {@code t}
     * (binary multiples: 1k = 1024), then optionally {@code b} or {@code ib}; case-insensitive.
     */
    static long parseSize(String option, String text) throws UsageException {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (text.isBlank() || !m.matches() || (m.group(2).isEmpty() && "ib".equals(m.group(3)))) {
            throw new UsageException(option + ": '" + text + "' is not a size (examples: 4096, 64k, 512m, 2g)");
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": '" + text + "' is too large");
        }
    }

    /** Parses a duration: digits, then {@code ms}, {@code s}, {@code m} or {@code h}. */
    static Duration parseDuration(String option, String text) throws UsageException {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new UsageException(option + ": '" + text
                    + "' is not a duration (examples: 500ms, 10s, 2m, 1h; the unit is required)");
        }
        try {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException(option + ": '" + text + "' is too long");
        }
    }

    /** 67108864 as {@code 64m}, 1536 as {@code 1536}: exact, in the largest unit that divides it. */
    static String size(long bytes) {
        String[] units = {"t", "g", "m", "k"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            if (bytes != 0 && bytes % (1L << shifts[i]) == 0) {
                return (bytes >> shifts[i]) + units[i];
            }
        }
        return Long.toString(bytes);
    }

    /** An approximate human reading: {@code 1.5 GiB}, {@code 640 KiB}, {@code 12 B}. */
    static String approx(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    }

    /** {@code 10s}, {@code 500ms}, {@code 2m}: as it would be written on the command line. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
