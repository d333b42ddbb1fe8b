"""``python -m neocloud.bench``: the benchmarks (:mod:`neocloud.commands.bench`)."""

from neocloud.commands.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
