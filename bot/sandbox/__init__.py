"""`branchbot sandbox`: the real bot against the Bot API emulator (the separate botapi-emulator
distribution in emulator/, not shipped with branchbot) and its chat page."""
