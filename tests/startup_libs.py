"""The helpers every `autonomy run` starts load no OpenSSL: libcrypto
costs each of them ~0.65 ms to load and ~0.8 ms more on its first
SHA-256 (OpenSSL 3's config and providers). They hash with Nettle
(common/sha256.h); OpenSSL stays with the fetcher and the supervisor.

    startup_libs.py BINARY...    (fails naming each binary and library)"""
import os
import subprocess
import sys

REFUSED = ("libcrypto.so", "libssl.so")


def needed(path):
    out = subprocess.run(["readelf", "-d", path], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].split("]", 1)[0]
            for line in out.splitlines() if "(NEEDED)" in line]


def main(paths):
    bad = []
    for p in paths:
        libs = needed(p)
        if not libs:
            bad.append("%s: no NEEDED entries (not a dynamic ELF?)" % p)
        for lib in libs:
            if lib.startswith(REFUSED):
                bad.append("%s links %s" % (os.path.basename(p), lib))
    for b in bad:
        print("startup_libs: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
