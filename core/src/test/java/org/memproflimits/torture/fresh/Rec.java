package org.memproflimits.torture.fresh;

/** A record: toString, hashCode and equals are linked by the ObjectMethods bootstrap. */
record Rec(int a, String b, long c, Object d) {
    static long run(long x) {
        Rec r = new Rec((int) x, "rec" + x, x * 3, Long.valueOf(x));
        Rec s = new Rec((int) x, "rec" + x, x * 3, Long.valueOf(x));
        return r.toString().length() + r.hashCode() + (r.equals(s) ? 1 : 0);
    }
}
