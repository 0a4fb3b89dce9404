package org.memproflimits.torture.fresh;

/** String concatenations of many shapes: each shape is its own invokedynamic call site. */
final class Concat {
    private Concat() {
    }

    static long run(long x) {
        int i = (int) x;
        long l = x;
        char c = (char) ('a' + (i & 15));
        double d = x / 3.0;
        boolean b = (x & 1) == 0;
        Object o = Long.valueOf(x);
        float f = i / 7f;
        String s1 = "a" + i;
        String s2 = "b" + l + c;
        String s3 = d + "c" + b + o;
        String s4 = s1 + s2 + s3 + i + l;
        String s5 = c + "" + c + f + i + o + s1;
        String s6 = "[" + s4 + "|" + s5 + "]" + d + b;
        String s7 = i + l + "x" + (char) (c + 1);
        return s1.length() + s2.length() + s3.length() + s4.length() + s5.length()
                + s6.length() + s7.length();
    }
}
