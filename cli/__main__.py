"""`python -m cli ...` is `catalog ...`: for running the commands from a checkout without installing."""
from cli import main

main()
