/* leaderboard_svg.h: the leaderboard as a chart, a standalone SVG file.
 *
 * One horizontal bar per candidate, best first: its cross-validated mean
 * per-class error, with an error bar of one standard error across the
 * repeats; a dashed line at the best row's error plus its standard error
 * (the one-standard-error line); the rows within noise of the best in a
 * second colour; the model the leader rule chose in a third, labelled
 * "chosen".  A failed candidate has no bar, only the word "failed".
 *
 * Every bar is a <rect class="bar"> (class "bar leader" for the chosen one)
 * with data-model, data-mpce and data-se attributes holding the row's
 * model_id, mean_per_class_error and mean_per_class_error_se (the same
 * numbers as leaderboard_json), so tools can read the chart back. */
#ifndef IRIS_LEADERBOARD_SVG_H
#define IRIS_LEADERBOARD_SVG_H

#include "trainer/leaderboard.h"

#include <stdio.h>

/* Writes the chart of lb to out; caption (may be NULL) is shown under the
 * title, e.g. the data and the CV plan.  Returns 0, or -1 on a write error. */
int leaderboard_svg_print(const leaderboard *lb, const char *caption, FILE *out);

/* Writes the chart to path through a temporary file beside it and a rename,
 * so a reader never sees half a chart.  Returns 0, or -1 with err naming the
 * path and the reason. */
int leaderboard_svg_write(const char *path, const leaderboard *lb, const char *caption, char *err,
                          size_t errlen);

/* The chart's default path for a training report path: the report's with its
 * extension (after the last '.' of the file name) replaced by ".svg", or
 * ".svg" appended when it has none.  Returns 0, or -1 when out is too small. */
int leaderboard_svg_path(const char *report, char *out, size_t outlen);

#endif
