package org.memproflimits.torture.fresh;

/** Implements {@link Shape}; creating one initializes the interface (it has a default method). */
final class Square implements Shape {
    private final int side;

    Square(int side) {
        this.side = side;
    }

    @Override
    public int side() {
        return side;
    }
}
