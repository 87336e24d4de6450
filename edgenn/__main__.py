"""``python -m edgenn``: the same command line as the ``edgenn`` console script."""

from edgenn.cli.app import main

if __name__ == "__main__":
    main()
