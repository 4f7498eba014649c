"""Local servers standing in for the assistant's optional outside services (tests, demo)."""
