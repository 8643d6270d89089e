"""`python -m neuroalign.cli` runs the command line."""

import sys

from neuroalign.cli import main

sys.exit(main())
