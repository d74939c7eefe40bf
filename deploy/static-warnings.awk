# static-warnings.awk: filter the static link's output (stdin -> stdout).
#
# glibc marks a few functions with a link-time note: "Using 'getaddrinfo' in
# statically linked applications requires at runtime the shared libraries from
# the glibc version used for linking".  For the packaged bootstrap these are
# understood and harmless (deploy/README.md, "Static linking"):
#   - getaddrinfo (libcurl's threaded resolver) and gethostbyname (OpenSSL's
#     BIO, never called): glibc >= 2.34 has the files and dns NSS modules built
#     in, so /etc/hosts and DNS work with no shared library;
#   - dlopen (OpenSSL's DSO loader): only used to load engines/providers from
#     files, which the bootstrap never asks for.
# Only those notes (and the "in function" line ld prints before each) are
# dropped; any other warning passes through.
/: in function `[^']*':$/ { held = $0; next }
/warning: Using '(getaddrinfo|gethostbyname|dlopen)' in statically linked applications/ {
    held = ""
    next
}
{
    if (held != "") print held
    held = ""
    print
}
END { if (held != "") print held }
