#!/usr/bin/env python
"""Django's command-line utility; the ``asamblea`` console script does the same."""

from asamblea.cli import main

if __name__ == "__main__":
    main()
