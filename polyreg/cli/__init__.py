"""The command line: argparse to library calls to exit codes."""
