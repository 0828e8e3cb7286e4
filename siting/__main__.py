import sys

from siting.cli import main

sys.exit(main())
