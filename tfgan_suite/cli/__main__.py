import sys

from tfgan_suite.cli import main

if __name__ == "__main__":
    sys.exit(main())
