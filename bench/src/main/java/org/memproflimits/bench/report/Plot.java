package org.memproflimits.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A small headless line/scatter plotter on java.awt and ImageIO, so that the report needs no
 * Python or plotting package: linear or log axes, lines, markers, error bars, reference lines
 * and a legend.
 */
final class Plot {
    static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
    };

    enum Style { LINE, MARKERS, LINE_MARKERS, DASHED, DOTTED, STEP }

    static final class Series {
        final String label;
        final double[] x;
        final double[] y;
        final Color color;
        final Style style;
        double[] yLow;
        double[] yHigh;

        Series(String label, double[] x, double[] y, Color color, Style style) {
            this.label = label;
            this.x = x;
            this.y = y;
            this.color = color;
            this.style = style;
        }

        Series bars(double[] low, double[] high) {
            this.yLow = low;
            this.yHigh = high;
            return this;
        }
    }

    private record HLine(double y, String label, Color color) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private boolean logX;
    private boolean logY;
    private Double xMin;
    private Double xMax;
    private Double yMin;
    private Double yMax;
    private final List<Series> series = new ArrayList<>();
    private final List<HLine> hlines = new ArrayList<>();
    private final List<HLine> vlines = new ArrayList<>();
    private String legendCorner = "nw";

    Plot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    Plot logX() {
        logX = true;
        return this;
    }

    Plot logY() {
        logY = true;
        return this;
    }

    Plot xRange(double lo, double hi) {
        xMin = lo;
        xMax = hi;
        return this;
    }

    Plot yRange(double lo, double hi) {
        yMin = lo;
        yMax = hi;
        return this;
    }

    Plot legend(String corner) {
        legendCorner = corner;
        return this;
    }

    Series add(String label, double[] x, double[] y, Color color, Style style) {
        Series s = new Series(label, x, y, color, style);
        series.add(s);
        return s;
    }

    Plot hline(double y, String label, Color color) {
        hlines.add(new HLine(y, label, color));
        return this;
    }

    Plot vline(double x, String label, Color color) {
        vlines.add(new HLine(x, label, color));
        return this;
    }

    // ------------------------------------------------------------------ rendering

    private static final int W = 960;
    private static final int H = 600;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 70;

    private double x0;
    private double x1;
    private double y0;
    private double y1;

    private double tx(double v) {
        double a = logX ? Math.log10(v) : v;
        return LEFT + (a - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    }

    private double ty(double v) {
        double a = logY ? Math.log10(v) : v;
        return H - BOTTOM - (a - y0) / (y1 - y0) * (H - TOP - BOTTOM);
    }

    private void computeRanges() {
        double xa = Double.POSITIVE_INFINITY;
        double xb = Double.NEGATIVE_INFINITY;
        double ya = Double.POSITIVE_INFINITY;
        double yb = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int k = 0; k < s.x.length; k++) {
                if (!valid(s.x[k], logX) || !valid(s.y[k], logY)) {
                    continue;
                }
                xa = Math.min(xa, s.x[k]);
                xb = Math.max(xb, s.x[k]);
                ya = Math.min(ya, s.yLow != null ? s.yLow[k] : s.y[k]);
                yb = Math.max(yb, s.yHigh != null ? s.yHigh[k] : s.y[k]);
            }
        }
        for (HLine h : hlines) {
            ya = Math.min(ya, h.y);
            yb = Math.max(yb, h.y);
        }
        if (xMin != null) {
            xa = xMin;
            xb = xMax;
        }
        if (yMin != null) {
            ya = yMin;
            yb = yMax;
        }
        if (logX) {
            x0 = Math.floor(Math.log10(xa));
            x1 = Math.ceil(Math.log10(xb));
        } else {
            double pad = (xb - xa) * 0.03;
            x0 = xMin != null ? xa : xa - pad;
            x1 = xMin != null ? xb : xb + pad;
        }
        if (logY) {
            y0 = Math.floor(Math.log10(ya));
            y1 = Math.ceil(Math.log10(yb));
        } else {
            double pad = (yb - ya) * 0.05;
            y0 = yMin != null ? ya : ya - pad;
            y1 = yMin != null ? yb : yb + pad;
        }
        if (x1 <= x0) {
            x1 = x0 + 1;
        }
        if (y1 <= y0) {
            y1 = y0 + 1;
        }
    }

    private static boolean valid(double v, boolean log) {
        return !Double.isNaN(v) && !Double.isInfinite(v) && (!log || v > 0);
    }

    void write(Path file) throws IOException {
        computeRanges();
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
                RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        g.setFont(font);

        // grid and ticks
        drawAxes(g);

        // reference lines
        Stroke dashed = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {8f, 5f}, 0f);
        for (HLine h : hlines) {
            g.setColor(h.color);
            g.setStroke(dashed);
            int y = (int) ty(h.y);
            g.drawLine(LEFT, y, W - RIGHT, y);
            g.drawString(h.label, W - RIGHT - g.getFontMetrics().stringWidth(h.label) - 4, y - 4);
        }
        for (HLine v : vlines) {
            g.setColor(v.color);
            g.setStroke(dashed);
            int x = (int) tx(v.y);
            g.drawLine(x, TOP, x, H - BOTTOM);
            g.drawString(v.label, x + 4, TOP + 14);
        }

        // series
        g.setClip(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
        for (Series s : series) {
            drawSeries(g, s);
        }
        g.setClip(null);

        // frame, title, labels, legend
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
        g.setFont(font.deriveFont(Font.BOLD, 16f));
        FontMetrics fm = g.getFontMetrics();
        g.drawString(title, (W - fm.stringWidth(title)) / 2, 30);
        g.setFont(font.deriveFont(14f));
        fm = g.getFontMetrics();
        g.drawString(xLabel, LEFT + (W - LEFT - RIGHT - fm.stringWidth(xLabel)) / 2, H - 20);
        AffineTransform at = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(TOP + (H - TOP - BOTTOM + fm.stringWidth(yLabel)) / 2), 22);
        g.setTransform(at);
        g.setFont(font);
        drawLegend(g);
        g.dispose();
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    private void drawAxes(Graphics2D g) {
        FontMetrics fm = g.getFontMetrics();
        g.setStroke(new BasicStroke(1f));
        for (double[] t : ticks(x0, x1, logX)) {
            int x = (int) Math.round(LEFT + (t[0] - x0) / (x1 - x0) * (W - LEFT - RIGHT));
            g.setColor(t[1] > 0 ? new Color(0xdddddd) : new Color(0xf0f0f0));
            g.drawLine(x, TOP, x, H - BOTTOM);
            if (t[1] > 0) {
                g.setColor(Color.BLACK);
                String label = label(t[0], logX);
                g.drawString(label, x - fm.stringWidth(label) / 2, H - BOTTOM + 18);
            }
        }
        for (double[] t : ticks(y0, y1, logY)) {
            int y = (int) Math.round(H - BOTTOM - (t[0] - y0) / (y1 - y0) * (H - TOP - BOTTOM));
            g.setColor(t[1] > 0 ? new Color(0xdddddd) : new Color(0xf0f0f0));
            g.drawLine(LEFT, y, W - RIGHT, y);
            if (t[1] > 0) {
                g.setColor(Color.BLACK);
                String label = label(t[0], logY);
                g.drawString(label, LEFT - fm.stringWidth(label) - 6, y + 5);
            }
        }
    }

    /** Ticks in axis units (log10 for log axes): {position, major?}. */
    private static List<double[]> ticks(double a, double b, boolean log) {
        List<double[]> out = new ArrayList<>();
        if (log) {
            for (int d = (int) Math.floor(a); d <= (int) Math.ceil(b); d++) {
                if (d >= a - 1e-9 && d <= b + 1e-9) {
                    out.add(new double[] {d, 1});
                }
                for (int m = 2; m <= 9; m++) {
                    double p = d + Math.log10(m);
                    if (p > a && p < b) {
                        out.add(new double[] {p, (b - a) <= 2 && (m == 2 || m == 5) ? 1 : 0});
                    }
                }
            }
            return out;
        }
        double span = b - a;
        double step = Math.pow(10, Math.floor(Math.log10(span / 6)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (span / (step * m) <= 8) {
                step *= m;
                break;
            }
        }
        for (double v = Math.ceil(a / step) * step; v <= b + 1e-9 * step; v += step) {
            out.add(new double[] {v, 1});
        }
        return out;
    }

    private static String label(double v, boolean log) {
        double x = log ? Math.pow(10, v) : v;
        if (Math.abs(x) < 1e-12) {
            return "0";
        }
        if (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3) {
            return String.format(Locale.ROOT, "%.0e", x).replace("e+0", "e").replace("e-0", "e-");
        }
        if (Math.abs(x - Math.rint(x)) < 1e-9) {
            return String.format(Locale.ROOT, "%.0f", x);
        }
        String s = String.format(Locale.ROOT, "%.3f", x);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private void drawSeries(Graphics2D g, Series s) {
        g.setColor(s.color);
        float[] dash = s.style == Style.DASHED ? new float[] {9f, 6f}
                : s.style == Style.DOTTED ? new float[] {2f, 4f} : null;
        g.setStroke(dash == null ? new BasicStroke(2f)
                : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
        if (s.style != Style.MARKERS) {
            Path2D.Double path = new Path2D.Double();
            boolean started = false;
            double prevY = 0;
            for (int k = 0; k < s.x.length; k++) {
                if (!valid(s.x[k], logX) || !valid(s.y[k], logY)) {
                    continue;
                }
                double px = tx(s.x[k]);
                double py = ty(s.y[k]);
                if (!started) {
                    path.moveTo(px, py);
                    started = true;
                } else {
                    if (s.style == Style.STEP) {
                        path.lineTo(px, prevY);
                    }
                    path.lineTo(px, py);
                }
                prevY = py;
            }
            g.draw(path);
        }
        if (s.style == Style.MARKERS || s.style == Style.LINE_MARKERS) {
            g.setStroke(new BasicStroke(1.5f));
            for (int k = 0; k < s.x.length; k++) {
                if (!valid(s.x[k], logX) || !valid(s.y[k], logY)) {
                    continue;
                }
                int px = (int) Math.round(tx(s.x[k]));
                int py = (int) Math.round(ty(s.y[k]));
                g.fillOval(px - 4, py - 4, 8, 8);
                if (s.yLow != null) {
                    int lo = (int) Math.round(ty(s.yLow[k]));
                    int hi = (int) Math.round(ty(s.yHigh[k]));
                    g.drawLine(px, lo, px, hi);
                    g.drawLine(px - 5, lo, px + 5, lo);
                    g.drawLine(px - 5, hi, px + 5, hi);
                }
            }
        }
    }

    private void drawLegend(Graphics2D g) {
        List<Series> shown = new ArrayList<>();
        for (Series s : series) {
            if (s.label != null) {
                shown.add(s);
            }
        }
        if (shown.isEmpty()) {
            return;
        }
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (Series s : shown) {
            w = Math.max(w, fm.stringWidth(s.label));
        }
        int lineH = 18;
        int boxW = w + 50;
        int boxH = shown.size() * lineH + 8;
        int bx = legendCorner.endsWith("w") ? LEFT + 10 : W - RIGHT - boxW - 10;
        int by = legendCorner.startsWith("n") ? TOP + 10 : H - BOTTOM - boxH - 10;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(bx, by, boxW, boxH);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(bx, by, boxW, boxH);
        int y = by + 4 + lineH / 2;
        for (Series s : shown) {
            g.setColor(s.color);
            float[] dash = s.style == Style.DASHED ? new float[] {9f, 6f}
                    : s.style == Style.DOTTED ? new float[] {2f, 4f} : null;
            g.setStroke(dash == null ? new BasicStroke(2f)
                    : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
            if (s.style != Style.MARKERS) {
                g.drawLine(bx + 8, y, bx + 36, y);
            }
            if (s.style == Style.MARKERS || s.style == Style.LINE_MARKERS) {
                g.fillOval(bx + 18, y - 4, 8, 8);
            }
            g.setColor(Color.BLACK);
            g.drawString(s.label, bx + 42, y + 5);
            y += lineH;
        }
    }
}
