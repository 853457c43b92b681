"""Sub-command groups of the `ipscreen` CLI, one module each (imported lazily by cli.py's
registration; heavy libraries are imported inside the commands)."""
