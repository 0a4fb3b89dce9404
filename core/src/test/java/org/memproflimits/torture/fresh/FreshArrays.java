package org.memproflimits.torture.fresh;

/** Arrays of fresh classes (new array classes, made by the VM), casts, instanceof, class literals. */
final class FreshArrays {
    private FreshArrays() {
    }

    static long run(long x) {
        int n = 1 + (int) (x & 7);
        Rec[] recs = new Rec[n];
        Shade[][] grid = new Shade[n][n + 1];
        Object o = grid;
        long acc = recs.length;
        if (o instanceof Shade[][]) {
            acc += ((Shade[][]) o)[0].length;
        }
        Class<?> k = Square[][][].class;
        Object cube = java.lang.reflect.Array.newInstance(Square.class, 2, 2);
        return acc + k.getName().length() + ((Object[]) cube).length;
    }
}
