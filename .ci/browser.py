"""Make sure a headless Chromium is available for the browser tests (Debian's package).

Run by `make test`. Installs Debian's `chromium` when it is missing and we are root with
apt-get (as on CI); otherwise says what to do and leaves the browser tests to skip
locally. Never downloads a browser build of its own.
"""

import os
import shutil
import subprocess
import sys


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main() -> int:
    if "--install" not in sys.argv:
        print(chromium() or "")
        return 0
    if chromium():
        return 0
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's chromium for the browser tests ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=False,
                       env=env, stdout=subprocess.DEVNULL)
    if not chromium():
        print("note: no Chromium found; browser tests will be skipped (install Debian's 'chromium' to run them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
