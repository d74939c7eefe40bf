/* leaderboard_svg.c: the leaderboard chart (see leaderboard_svg.h).
 * Plain SVG 1.1 text, no script, no external reference: it renders the same
 * in a browser, on a repository page (as an image) and in an editor. */
#include "trainer/leaderboard_svg.h"
#include "trainer/file_write.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Layout, in SVG user units (pixels at 100%). */
#define SVG_WIDTH 840.0
#define SVG_PLOT_X 300.0 /* left edge of the bars; the model ids end left of it */
#define SVG_PLOT_W 420.0 /* the rest on the right holds the "chosen" label */
#define SVG_TOP 100.0    /* first row's top */
#define SVG_ROW_H 20.0
#define SVG_BAR_H 12.0
#define SVG_FONT "DejaVu Sans, Verdana, Arial, sans-serif"

#define COLOUR_LEADER "#e8731a"
#define COLOUR_NOISE "#4c78a8"
#define COLOUR_OTHER "#b3c3d3"
#define COLOUR_SE_LINE "#c62828"
#define COLOUR_GRID "#e3e3e3"

/* Writes s as XML character data: the five markup characters escaped, control
 * characters and bytes that are not UTF-8 written as '?', so any model id or
 * file name keeps the file well-formed XML. */
static void xml_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (len > 1) {
            uint32_t cp = c & (0x7F >> len);
            size_t i = 1;
            for (; i < len && (p[i] & 0xC0) == 0x80; i++)
                cp = cp << 6 | (p[i] & 0x3F);
            static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
            if (i == len && cp >= least[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF)) {
                fwrite(p, 1, len, out);
                p += len;
                continue;
            }
            len = 0;
        }
        if (len == 0 || (c < 0x20 && c != '\t') || c == 0x7F)
            fputc('?', out);
        else if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if (c == '\'')
            fputs("&apos;", out);
        else
            fputc((int)c, out);
        p++;
    }
}

/* A round tick step giving five to eight ticks up to max (1, 2, 2.5 or 5
 * times a power of ten). */
static double tick_step(double max)
{
    double raw = max / 8, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    double step = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    return step * mag;
}

static int row_drawn(const leaderboard_row *r)
{
    return !r->failed && isfinite(r->metrics.mean_per_class_error) && isfinite(r->mpce_se);
}

typedef struct {
    double axis_max; /* the x axis runs from 0 to this error */
    double step;
} scale;

static scale scale_for(const leaderboard *lb)
{
    double top = 0;
    for (size_t i = 0; i < lb->nrows; i++)
        if (row_drawn(&lb->rows[i])) {
            double hi = lb->rows[i].metrics.mean_per_class_error + lb->rows[i].mpce_se;
            if (hi > top)
                top = hi;
        }
    if (!(top > 0))
        top = 0.01; /* every candidate perfect: still a readable axis */
    scale s = {.step = tick_step(top * 1.04)};
    s.axis_max = ceil(top * 1.04 / s.step - 1e-9) * s.step;
    return s;
}

static double px(const scale *s, double v)
{
    if (v < 0)
        v = 0;
    return SVG_PLOT_X + v / s->axis_max * SVG_PLOT_W;
}

static void legend_swatch(FILE *out, double x, double y, const char *colour, const char *label)
{
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
            x, y - 9, colour, x + 19, y, label);
}

static void print_head(const leaderboard *lb, const char *caption, double height, FILE *out)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\" font-size=\"12\">\n"
            "<title>Leaderboard: cross-validated mean per-class error</title>\n<desc>",
            SVG_WIDTH, height, SVG_WIDTH, height, SVG_FONT);
    xml_text(out, leaderboard_rule);
    fprintf(out, "</desc>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n"
                 "<text x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"bold\">Leaderboard: "
                 "cross-validated mean per-class error</text>\n");
    fprintf(out, "<text x=\"16\" y=\"46\" fill=\"#444444\">");
    if (caption && *caption) {
        xml_text(out, caption);
        fputs("; ", out);
    }
    fprintf(out,
            "%zu x %zu-fold CV; error bars: one standard error across the %zu repeats</text>\n",
            lb->repeats, lb->folds, lb->repeats);
    double y = 74;
    legend_swatch(out, 16, y, COLOUR_LEADER, "chosen (simplest within noise of the best)");
    legend_swatch(out, 318, y, COLOUR_NOISE, "within noise of the best");
    legend_swatch(out, 498, y, COLOUR_OTHER, "other candidates");
    fprintf(out,
            "<line x1=\"640\" y1=\"%.1f\" x2=\"660\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"1.5\" stroke-dasharray=\"5,3\"/>"
            "<text x=\"665\" y=\"%.1f\">best + 1 standard error</text>\n",
            y - 4, y - 4, COLOUR_SE_LINE, y);
}

static void print_axis(const scale *s, double y0, double y1, FILE *out)
{
    fputs("<g class=\"axis\">\n", out);
    for (int k = 0; k * s->step <= s->axis_max + 1e-12; k++) {
        double v = k * s->step, x = px(s, v);
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g%%</text>\n",
                x, y0, x, y1, COLOUR_GRID, x, y1, x, y1 + 4, x, y1 + 17, v * 100);
    }
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">mean per-class error "
            "(out-of-fold predictions, mean over the repeats)</text>\n</g>\n",
            SVG_PLOT_X, y1, SVG_PLOT_X + SVG_PLOT_W, y1, SVG_PLOT_X + SVG_PLOT_W / 2, y1 + 36);
}

static void print_row(const leaderboard *lb, size_t i, const scale *s, double y, FILE *out)
{
    const leaderboard_row *r = &lb->rows[i];
    int leader = i == lb->leader && row_drawn(r);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"%s>", SVG_PLOT_X - 8,
            y + SVG_ROW_H / 2 + 4, leader ? " font-weight=\"bold\"" : "");
    xml_text(out, r->spec.id);
    fputs("</text>\n", out);
    if (!row_drawn(r)) {
        fprintf(out, "<text class=\"failed\" x=\"%.1f\" y=\"%.1f\" fill=\"#888888\">failed",
                SVG_PLOT_X + 4, y + SVG_ROW_H / 2 + 4);
        if (r->failed && r->error[0]) {
            fputs(": ", out);
            xml_text(out, r->error);
        }
        fputs("</text>\n", out);
        return;
    }
    double m = r->metrics.mean_per_class_error, se = r->mpce_se;
    double by = y + (SVG_ROW_H - SVG_BAR_H) / 2, cy = y + SVG_ROW_H / 2;
    const char *colour = leader ? COLOUR_LEADER : r->within_noise ? COLOUR_NOISE : COLOUR_OTHER;
    fprintf(out, "<rect class=\"bar%s\" data-model=\"", leader ? " leader" : "");
    xml_text(out, r->spec.id);
    fprintf(out,
            "\" data-mpce=\"%.17g\" data-se=\"%.17g\" x=\"%.1f\" y=\"%.1f\" width=\"%.3f\" "
            "height=\"%.1f\" fill=\"%s\"><title>",
            m, se, SVG_PLOT_X, by, px(s, m) - SVG_PLOT_X, SVG_BAR_H, colour);
    xml_text(out, r->spec.id);
    fprintf(out, ": %.3f%% +/- %.3f%%%s</title></rect>\n", 100 * m, 100 * se,
            leader ? " (chosen)" : "");
    double lo = px(s, m - se), hi = px(s, m + se);
    fprintf(out,
            "<g class=\"se\" stroke=\"#222222\" stroke-width=\"1.2\">"
            "<line x1=\"%.3f\" y1=\"%.1f\" x2=\"%.3f\" y2=\"%.1f\"/>"
            "<line x1=\"%.3f\" y1=\"%.1f\" x2=\"%.3f\" y2=\"%.1f\"/>"
            "<line x1=\"%.3f\" y1=\"%.1f\" x2=\"%.3f\" y2=\"%.1f\"/></g>\n",
            lo, cy, hi, cy, lo, cy - 4, lo, cy + 4, hi, cy - 4, hi, cy + 4);
    if (leader)
        fprintf(out,
                "<text class=\"chosen\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\" "
                "font-weight=\"bold\">&#9664; chosen</text>\n",
                hi + 6, cy + 4, COLOUR_LEADER);
}

int leaderboard_svg_print(const leaderboard *lb, const char *caption, FILE *out)
{
    scale s = scale_for(lb);
    double rows_end = SVG_TOP + (double)lb->nrows * SVG_ROW_H, axis_y = rows_end + 4;
    double height = axis_y + 66;
    print_head(lb, caption, height, out);
    print_axis(&s, SVG_TOP - 4, axis_y, out);
    fputs("<g class=\"rows\">\n", out);
    for (size_t i = 0; i < lb->nrows; i++)
        print_row(lb, i, &s, SVG_TOP + (double)i * SVG_ROW_H, out);
    fputs("</g>\n", out);
    if (lb->nrows && row_drawn(&lb->rows[0])) {
        double v = lb->rows[0].metrics.mean_per_class_error + lb->rows[0].mpce_se;
        fprintf(out,
                "<line class=\"one-se\" data-value=\"%.17g\" x1=\"%.3f\" y1=\"%.1f\" "
                "x2=\"%.3f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                "stroke-dasharray=\"5,3\"/>\n",
                v, px(&s, v), SVG_TOP - 6, px(&s, v), axis_y, COLOUR_SE_LINE);
    }
    fprintf(out,
            "<text x=\"16\" y=\"%.1f\" fill=\"#444444\" font-size=\"11\">Best first. Within "
            "noise: less than 2 standard errors of the repeat-by-repeat difference above the "
            "best.</text>\n</svg>\n",
            height - 10);
    return ferror(out) ? -1 : 0;
}

typedef struct svg_job {
    const leaderboard *lb;
    const char *caption;
} svg_job;

static int print_job(FILE *f, void *ctx)
{
    const svg_job *job = ctx;
    return leaderboard_svg_print(job->lb, job->caption, f);
}

int leaderboard_svg_write(const char *path, const leaderboard *lb, const char *caption, char *err,
                          size_t errlen)
{
    svg_job job = {lb, caption};
    return file_write_atomic(path, print_job, &job, err, errlen);
}

int leaderboard_svg_path(const char *report, char *out, size_t outlen)
{
    const char *slash = strrchr(report, '/');
    const char *base = slash ? slash + 1 : report;
    const char *dot = strrchr(base, '.');
    size_t keep = dot && dot != base ? (size_t)(dot - report) : strlen(report);
    int n = snprintf(out, outlen, "%.*s.svg", (int)keep, report);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
