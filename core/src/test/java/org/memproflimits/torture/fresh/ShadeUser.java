package org.memproflimits.torture.fresh;

/** A switch on a fresh enum: javac makes a synthetic $SwitchMap class, initialized at first use. */
final class ShadeUser {
    private ShadeUser() {
    }

    static long run(long x) {
        Shade s = Shade.values()[(int) ((x >>> 3) % Shade.values().length)];
        switch (s) {
            case RED: return 1 + Shade.TABLE[0][0];
            case GREEN: return 2;
            case BLUE: return 3 + ("blue" + x).length();
            case CYAN: return 4;
            case MAGENTA: return 5;
            default: return 6 + s.name().length();
        }
    }
}
