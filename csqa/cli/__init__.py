"""The `csqa` command line: one module per command group; thin — parse flags, call the library, print."""
from .main import main
