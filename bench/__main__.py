"""`python -m bench [letters|mailing|intake|latency|login|sweep|desk|pages] [--sizes 5000,20000]`: the benchmarks
of the back office.

Every figure is printed next to a baseline measured in the same run on the same machine."""

from __future__ import annotations

import argparse

from bench import desk, intake, latency, letters_pipeline, login, mailing, pages, sweep

ALL = ["letters", "mailing", "intake", "latency", "login", "sweep", "desk", "pages"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("which", nargs="*", metavar="NAME", help=f"which benchmarks: {', '.join(ALL)} (default: all)")
    parser.add_argument("--sizes", default="5000,20000", help="member counts for the letters and mailing benchmarks")
    parser.add_argument("--seconds", type=int, default=10,
                        help="login: length of the run; intake: 5 rounds of half this per server")
    parser.add_argument("--samples", type=int, default=40, help="requests for the latency benchmark")
    parser.add_argument("--requests", type=int, default=20, help="requests per page in the pages benchmark")
    parser.add_argument("--logins", type=int, default=1_000_000, help="logins in the big table of the sweep benchmark")
    args = parser.parse_args()
    which = args.which or ALL
    unknown = sorted(set(which) - set(ALL))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(ALL)}")
    if "letters" in which:
        letters_pipeline.report(letters_pipeline.run([int(n) for n in args.sizes.split(",")]))
    if "mailing" in which:
        mailing.report(mailing.run([int(n) for n in args.sizes.split(",")]))
    if "intake" in which:
        intake.report(intake.run(args.seconds))
    if "latency" in which:
        latency.report(latency.run(args.samples))
    if "login" in which:
        login.report(login.run(args.seconds))
    if "sweep" in which:
        sweep.report(sweep.run(args.logins))
    if "desk" in which:
        desk.report(desk.run())
    if "pages" in which:
        pages.report(pages.run(args.requests))


if __name__ == "__main__":
    main()
