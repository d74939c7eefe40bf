#!/bin/sh
# c_string.sh NAME FILE: prints FILE as a C definition `const char NAME[] =
# "...";`, one string literal a line (backslashes and quotes escaped), so a
# text file can be compiled into a binary without xxd.
set -eu
printf 'const char %s[] =\n' "$1"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$2"
printf '    "";\n'
